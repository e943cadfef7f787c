package data

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestBuiltin(t *testing.T) {
	ds, err := Open("builtin", Options{ValFraction: 0.1, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if ds.H != 28 || ds.W != 28 || ds.C != 1 || len(ds.Classes) != 10 || ds.Classes[9] != "Ankle boot" {
		t.Fatalf("shape %dx%dx%d classes %v", ds.H, ds.W, ds.C, ds.Classes)
	}
	// Stratified: 1000 training images per class, 10% (100) of each held out; 200 test images per class.
	for c := range 10 {
		if tr, va, te := ds.Train.ClassCounts()[c], ds.Val.ClassCounts()[c], ds.Test.ClassCounts()[c]; tr != 900 || va != 100 || te != 200 {
			t.Fatalf("class %d: train %d val %d test %d, want 900 100 200", c, tr, va, te)
		}
	}
	// Train and val partition the training file; the split is the same for a seed and differs across seeds.
	seen := map[int]bool{}
	for _, i := range append(slices.Clone(ds.Train.idx), ds.Val.idx...) {
		seen[i] = true
	}
	if len(seen) != 10000 {
		t.Fatalf("train ∪ val covers %d records, want 10000", len(seen))
	}
	again, _ := Open("builtin", Options{ValFraction: 0.1, Seed: 7})
	other, _ := Open("builtin", Options{ValFraction: 0.1, Seed: 8})
	if !slices.Equal(again.Val.idx, ds.Val.idx) || slices.Equal(other.Val.idx, ds.Val.idx) {
		t.Error("validation split not determined by the seed")
	}
	// The subset's statistics are within 0.002 of the published full-set values used to normalize.
	mean, std, err := ds.Test.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(mean[0]-0.2860) > 0.002 || math.Abs(std[0]-0.3530) > 0.002 {
		t.Errorf("built-in test mean %.4f std %.4f, want about 0.2860 0.3530", mean[0], std[0])
	}
	for _, bad := range []float64{-0.1, 1, math.NaN()} {
		if _, err := Open("builtin", Options{ValFraction: bad}); err == nil {
			t.Errorf("ValFraction %v accepted", bad)
		}
	}
}

func TestFullFashionMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the full data set")
	}
	if _, err := os.Stat(filepath.Join(DefaultFashionMNISTDir, "train-images-idx3-ubyte.gz")); err != nil {
		t.Skip("Debian's dataset-fashion-mnist is not installed")
	}
	full, err := Open("fashion-mnist", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if full.Train.Len() != 60000 || full.Test.Len() != 10000 {
		t.Fatalf("%d train, %d test", full.Train.Len(), full.Test.Len())
	}
	mean, std, err := full.Train.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(mean[0]-float64(fashionMean[0])) > 5e-4 || math.Abs(std[0]-float64(fashionStd[0])) > 5e-4 {
		t.Errorf("full training mean %.5f std %.5f, constants %v %v", mean[0], std[0], fashionMean, fashionStd)
	}
	// The built-in subset is the first 1000 training and 200 test images of each class, in file order.
	sub, err := Open("builtin", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		sub, full *Split
		per       int
	}{{sub.Train, full.Train, BuiltinTrainPerClass}, {sub.Test, full.Test, BuiltinTestPerClass}} {
		taken, k := make([]int, 10), 0
		for i := range p.full.Len() {
			l := p.full.Label(i)
			if taken[l] == p.per {
				continue
			}
			taken[l]++
			a, _ := p.full.Image(i)
			b, _ := p.sub.Image(k)
			if p.sub.Label(k) != l || !bytes.Equal(a, b) {
				t.Fatalf("%s record %d is not full record %d", p.sub.Name, k, i)
			}
			k++
		}
		if k != p.sub.Len() {
			t.Fatalf("%s: %d records matched of %d", p.sub.Name, k, p.sub.Len())
		}
	}
}

// writeMNISTDir writes an MNIST-layout folder under dir/sub: 3 training and 2 test images of 2×2, the
// training files gzipped and the test files raw, as torchvision's raw/ folder may hold them.
func writeMNISTDir(t *testing.T, dir, sub string, trainLabels []uint8) {
	t.Helper()
	d := filepath.Join(dir, sub)
	writeFile(t, d, "train-images-idx3-ubyte.gz", idxBytes(t, []int{3, 2, 2}, []uint8{0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23}), true)
	writeFile(t, d, "train-labels-idx1-ubyte.gz", idxBytes(t, []int{3}, trainLabels), true)
	writeFile(t, d, "t10k-images-idx3-ubyte", idxBytes(t, []int{2, 2, 2}, []uint8{5, 6, 7, 8, 255, 254, 253, 252}), false)
	writeFile(t, d, "t10k-labels-idx1-ubyte", idxBytes(t, []int{2}, []uint8{9, 0}), false)
}

func TestOpenMNISTFixture(t *testing.T) {
	dir := t.TempDir()
	writeMNISTDir(t, dir, "raw", []uint8{4, 0, 4})
	for _, spec := range []string{"mnist:" + dir, "mnist:" + filepath.Join(dir, "raw"), "fashion-mnist:" + dir} {
		ds, err := Open(spec, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if ds.H != 2 || ds.W != 2 || ds.C != 1 || ds.Train.Len() != 3 || ds.Test.Len() != 2 {
			t.Fatalf("%s: %dx%dx%d, %d train, %d test", spec, ds.H, ds.W, ds.C, ds.Train.Len(), ds.Test.Len())
		}
		img, _ := ds.Train.Image(1)
		tst, _ := ds.Test.Image(1)
		if !bytes.Equal(img, []uint8{10, 11, 12, 13}) || ds.Train.Label(2) != 4 || !bytes.Equal(tst, []uint8{255, 254, 253, 252}) || ds.Test.Label(0) != 9 {
			t.Fatalf("%s: records differ from the fixture", spec)
		}
	}
	mn, _ := Open("mnist:"+dir, Options{})
	fm, _ := Open("fashion-mnist:"+dir, Options{})
	// Digits are not mirrored; clothes are.
	if mn.Augment.Flip || !fm.Augment.Flip || mn.Classes[3] != "3" || fm.Classes[3] != "Dress" {
		t.Errorf("mnist %+v %v, fashion %+v %v", mn.Augment, mn.Classes[3], fm.Augment, fm.Classes[3])
	}

	bad := t.TempDir()
	writeMNISTDir(t, bad, "", []uint8{4, 10, 4})
	_, err := Open("mnist:"+bad, Options{})
	checkOneLine(t, err, filepath.Join(bad, "train-labels-idx1-ubyte.gz"), "record 1", "label 10")
	_, err = Open("mnist:"+t.TempDir(), Options{})
	checkOneLine(t, err, "no train-images-idx3-ubyte[.gz]")
}

func TestOpenCIFARFixture(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "cifar-10-batches-bin")
	for i, name := range []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"} {
		writeFile(t, bin, name, cifarRecord([]byte{byte(i)}, i), false)
	}
	for _, spec := range []string{"cifar10:" + dir, "cifar10:" + bin} {
		ds, err := Open(spec, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if ds.Train.Len() != 5 || ds.Test.Len() != 1 || ds.Classes[0] != "airplane" || ds.Train.Label(4) != 4 || ds.Test.Label(0) != 5 {
			t.Fatalf("%s: %d train, %d test, classes %v", spec, ds.Train.Len(), ds.Test.Len(), ds.Classes)
		}
		// Record 3 (seed 3): pixel 0 is (0+3, 0+3, 0+3), pixel 1 is (1+3, 2+3, 3+3).
		img, _ := ds.Train.Image(3)
		if !bytes.Equal(img[:6], []uint8{3, 3, 3, 4, 5, 6}) {
			t.Fatalf("%s: record 3 starts %v", spec, img[:6])
		}
	}

	c100 := filepath.Join(dir, "c100", "cifar-100-binary")
	writeFile(t, c100, "train.bin", append(cifarRecord([]byte{1, 11}, 0), cifarRecord([]byte{19, 99}, 0)...), true)
	writeFile(t, c100, "test.bin", cifarRecord([]byte{2, 22}, 0), false)
	names := "aquatic_mammals fish flowers food_containers fruit_and_vegetables household_electrical_devices household_furniture insects large_carnivores large_man-made_outdoor_things large_natural_outdoor_scenes large_omnivores_and_herbivores medium_mammals non-insect_invertebrates people reptiles small_mammals trees vehicles_1 vehicles_2\n"
	writeFile(t, c100, "coarse_label_names.txt", []byte(names), false)
	fine, err := Open("cifar100:"+filepath.Dir(c100), Options{})
	if err != nil {
		t.Fatal(err)
	}
	coarse, err := Open("cifar100:"+filepath.Dir(c100)+":coarse", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fine.Classes) != 100 || fine.Train.Label(1) != 99 || fine.Test.Label(0) != 22 {
		t.Errorf("fine: %d classes, labels %d %d", len(fine.Classes), fine.Train.Label(1), fine.Test.Label(0))
	}
	if len(coarse.Classes) != 20 || coarse.Classes[19] != "vehicles_2" || coarse.Train.Label(1) != 19 || coarse.Test.Label(0) != 2 {
		t.Errorf("coarse: classes %v…, labels %d %d", coarse.Classes[:2], coarse.Train.Label(1), coarse.Test.Label(0))
	}

	writeFile(t, bin, "data_batch_3.bin", cifarRecord([]byte{3}, 0)[:100], false)
	_, err = Open("cifar10:"+dir, Options{})
	checkOneLine(t, err, filepath.Join(bin, "data_batch_3.bin"), "record 0", "truncated")
}
