package data

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// pngBytes encodes img as PNG.
func pngBytes(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// patternRGBA is a w×h image whose pixel (x, y) is (10x+y, 100+y, 200−x, 255): every pixel distinct, so a
// misplaced one shows.
func patternRGBA(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{uint8(10*x + y), uint8(100 + y), uint8(200 - x), 255})
		}
	}
	return img
}

// solidJPEG encodes a w×h JPEG of one color at top quality.
func solidJPEG(t testing.TB, w, h int, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for p := 0; p < w*h; p++ {
		copy(img.Pix[4*p:], []uint8{c.R, c.G, c.B, c.A})
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecodeIntoExact(t *testing.T) {
	dir := t.TempDir()
	// A 6×4 (w×h) PNG at size 4: the central 4×4 square is columns 1–4, taken at scale 1, so every pixel
	// comes through unchanged: output (x, y) is source (x+1, y).
	path := writeFile(t, dir, "wide.png", pngBytes(t, patternRGBA(6, 4)), false)
	got := make([]uint8, 4*4*3)
	if err := decodeInto(path, 4, got); err != nil {
		t.Fatal(err)
	}
	var want []uint8
	for y := range 4 {
		for x := range 4 {
			want = append(want, uint8(10*(x+1)+y), uint8(100+y), uint8(200-(x+1)))
		}
	}
	if !bytes.Equal(got, want) {
		t.Errorf("cropped pixels\n got %v\nwant %v", got, want)
	}
	// A gray PNG becomes RGB with three equal channels.
	gray := image.NewGray(image.Rect(0, 0, 2, 2))
	copy(gray.Pix, []uint8{0, 50, 100, 250})
	path = writeFile(t, dir, "gray.png", pngBytes(t, gray), false)
	got = make([]uint8, 2*2*3)
	if err := decodeInto(path, 2, got); err != nil {
		t.Fatal(err)
	}
	if want := []uint8{0, 0, 0, 50, 50, 50, 100, 100, 100, 250, 250, 250}; !bytes.Equal(got, want) {
		t.Errorf("gray → %v, want %v", got, want)
	}
	// A uniform 8×8 image scaled to 4×4 stays uniform.
	path = writeFile(t, dir, "solid.png", pngBytes(t, solid(8, 8, color.RGBA{7, 77, 177, 255})), false)
	got = make([]uint8, 4*4*3)
	if err := decodeInto(path, 4, got); err != nil {
		t.Fatal(err)
	}
	for p := range 16 {
		if !bytes.Equal(got[3*p:3*p+3], []uint8{7, 77, 177}) {
			t.Fatalf("pixel %d = %v, want [7 77 177]", p, got[3*p:3*p+3])
		}
	}
}

// solid is a w×h image of one color.
func solid(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for p := 0; p < w*h; p++ {
		copy(img.Pix[4*p:], []uint8{c.R, c.G, c.B, c.A})
	}
	return img
}

// classColor is the solid color of the fixture images of class c.
func classColor(c int) color.RGBA {
	return color.RGBA{uint8(40 * c), uint8(200 - 40*c), 128, 255}
}

// writeImageFolder writes root/{train,val}/<class>/ with perClass images each: PNGs and top-quality
// JPEGs of the class's solid color, larger than size and not square, so cropping and scaling run.
func writeImageFolder(t testing.TB, root string, classes []string, perClass int) {
	t.Helper()
	for _, split := range []string{"train", "val"} {
		for ci, c := range classes {
			for k := range perClass {
				name := filepath.Join(split, c, fmt.Sprintf("img%d", k))
				if k%2 == 0 {
					writeFile(t, root, name+".png", pngBytes(t, solid(12, 9, classColor(ci))), false)
				} else {
					writeFile(t, root, name+".JPEG", solidJPEG(t, 16, 20, classColor(ci)), false)
				}
			}
		}
	}
}

func TestFolderDataset(t *testing.T) {
	root := t.TempDir()
	writeImageFolder(t, root, []string{"cat", "dog", "emu"}, 4)
	writeFile(t, root, "train/dog/notes.txt", []byte("not an image"), false)
	ds, err := Open("folder:"+root, Options{ImageSize: 8, ValFraction: 0.25, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.Classes, []string{"cat", "dog", "emu"}) || ds.H != 8 || ds.W != 8 || ds.C != 3 {
		t.Fatalf("classes %v, shape %dx%dx%d", ds.Classes, ds.H, ds.W, ds.C)
	}
	// 4 per class, a quarter held out: 3 train + 1 val per class; the val folder is the test split.
	if !slices.Equal(ds.Train.ClassCounts(), []int{3, 3, 3}) || !slices.Equal(ds.Val.ClassCounts(), []int{1, 1, 1}) || !slices.Equal(ds.Test.ClassCounts(), []int{4, 4, 4}) {
		t.Fatalf("counts train %v val %v test %v", ds.Train.ClassCounts(), ds.Val.ClassCounts(), ds.Test.ClassCounts())
	}
	for _, s := range []*Split{ds.Train, ds.Val, ds.Test} {
		for i := range s.Len() {
			img, err := s.Image(i)
			if err != nil {
				t.Fatal(err)
			}
			c := classColor(int(s.Label(i)))
			for p := range 64 {
				// PNGs come back exact; JPEG at quality 100 of a flat color is within 2 levels.
				for k, w := range []uint8{c.R, c.G, c.B} {
					if d := int(img[3*p+k]) - int(w); d < -2 || d > 2 {
						t.Fatalf("%s %d pixel %d channel %d = %d, want %d±2", s.Name, i, p, k, img[3*p+k], w)
					}
				}
			}
		}
	}
}

func TestFolderCachesDecodedRecords(t *testing.T) {
	root := t.TempDir()
	writeImageFolder(t, root, []string{"a", "b"}, 2)
	ds, err := Open("folder:"+root, Options{ImageSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	first := readAll(t, ds.Train.Loader(EvalOptions(3)))
	// With the images gone, a second epoch must come from the decoded cache.
	if err := os.RemoveAll(filepath.Join(root, "train")); err != nil {
		t.Fatal(err)
	}
	l := ds.Train.Loader(EvalOptions(3))
	l.Reset()
	if second := readAll(t, l); !slices.Equal(first, second) {
		t.Error("second epoch differs from the first")
	}
	// The test split was never read, so its images are decoded now, from the files still there.
	if _, err := ds.Test.Image(0); err != nil {
		t.Fatal(err)
	}
}

func TestFolderRecordCache(t *testing.T) {
	root, cache := t.TempDir(), t.TempDir()
	writeImageFolder(t, root, []string{"a", "b"}, 3)
	opt := Options{ImageSize: 4, CacheDir: cache}
	first, err := Open("folder:"+root, opt)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(cache, "*.rec"))
	if len(files) != 2 {
		t.Fatalf("cache holds %v, want one file per split", files)
	}
	// Garble an image but keep its size and time stamp: a second Open must read the cache, not the image.
	img := filepath.Join(root, "train", "a", "img0.png")
	st, _ := os.Stat(img)
	garbage := bytes.Repeat([]byte{'x'}, int(st.Size()))
	writeFile(t, root, "train/a/img0.png", garbage, false)
	os.Chtimes(img, st.ModTime(), st.ModTime())
	second, err := Open("folder:"+root, opt)
	if err != nil {
		t.Fatal(err)
	}
	for i := range first.Train.Len() {
		a, _ := first.Train.Image(i)
		b, err := second.Train.Image(i)
		if err != nil || !bytes.Equal(a, b) {
			t.Fatalf("record %d from the cache differs (%v)", i, err)
		}
	}
	// Another image size is another cache; decoding it meets the garbled image.
	_, err = Open("folder:"+root, Options{ImageSize: 2, CacheDir: cache})
	checkOneLine(t, err, img, "undecodable image")
}

func TestFolderBadInput(t *testing.T) {
	t.Run("missing directory", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "nope")
		_, err := Open("folder:"+missing, Options{})
		checkOneLine(t, err, missing, "missing directory")
		_, err = Open("cifar10:"+missing, Options{})
		checkOneLine(t, err, missing, "missing directory")
		_, err = Open("mnist:"+missing, Options{})
		checkOneLine(t, err, missing, "missing directory")
	})
	t.Run("empty class folder", func(t *testing.T) {
		root := t.TempDir()
		writeImageFolder(t, root, []string{"a"}, 1)
		os.MkdirAll(filepath.Join(root, "train", "b"), 0o755)
		_, err := Open("folder:"+root, Options{})
		checkOneLine(t, err, filepath.Join(root, "train", "b"), "empty class folder")
		if !errors.Is(err, ErrBadInput) {
			t.Errorf("error %v is not ErrBadInput", err)
		}
	})
	t.Run("val lacks a class", func(t *testing.T) {
		root := t.TempDir()
		writeImageFolder(t, root, []string{"a", "b"}, 1)
		os.RemoveAll(filepath.Join(root, "val", "b"))
		_, err := Open("folder:"+root, Options{})
		checkOneLine(t, err, filepath.Join(root, "val", "b"))
	})
	t.Run("undecodable image", func(t *testing.T) {
		root := t.TempDir()
		writeImageFolder(t, root, []string{"a"}, 2)
		bad := writeFile(t, root, "train/a/broken.png", []byte("\x89PNG\r\n\x1a\nthen garbage"), false)
		// Found when first read, by Preload during Open …
		_, err := Open("folder:"+root, Options{Preload: true})
		checkOneLine(t, err, bad, "undecodable image")
		// … or by the loader when the record's batch is filled.
		ds, err := Open("folder:"+root, Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = ds.Train.Loader(EvalOptions(8)).Next()
		checkOneLine(t, err, bad, "undecodable image")
	})
}

func TestImageNet100(t *testing.T) {
	cmc := CMCImageNet100()
	if len(cmc) != 100 || cmc[0] != "n02869837" || cmc[99] != "n02090622" {
		t.Fatalf("CMC list: %d wnids, first %q, last %q", len(cmc), cmc[0], cmc[99])
	}
	if len(slices.Compact(slices.Sorted(slices.Values(cmc)))) != 100 {
		t.Error("CMC list has duplicates")
	}

	t.Run("reference", func(t *testing.T) {
		// The ILSVRC archive layout: 1000 wnid folders under ILSVRC/Data/CLS-LOC/train; only the kept
		// ones (every 10th in sorted order) need images.
		dir := t.TempDir()
		root := filepath.Join(dir, "ILSVRC", "Data", "CLS-LOC")
		var kept []string
		for i := range 1000 {
			wnid := fmt.Sprintf("n%08d", 1000+7*i)
			if i%10 == 0 {
				kept = append(kept, wnid)
			} else if err := os.MkdirAll(filepath.Join(root, "train", wnid), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		writeImageFolder(t, root, kept, 1)
		ds, err := Open("imagenet100:"+dir, Options{ImageSize: 4})
		if err != nil {
			t.Fatal(err)
		}
		// Kept: index 0 → n00001000, 10 → n00001070, …, 990 → n00007930.
		if len(ds.Classes) != 100 || ds.Classes[0] != "n00001000" || ds.Classes[1] != "n00001070" || ds.Classes[99] != "n00007930" {
			t.Fatalf("classes %d: %v … %v", len(ds.Classes), ds.Classes[:2], ds.Classes[99])
		}
		if ds.Train.Len() != 100 || ds.Test.Len() != 100 || ds.H != 4 {
			t.Fatalf("train %d test %d size %d", ds.Train.Len(), ds.Test.Len(), ds.H)
		}
		// Fewer than 1000 class folders cannot define the reference subset.
		os.RemoveAll(filepath.Join(root, "train", kept[5]))
		_, err = Open("imagenet100:"+dir, Options{})
		checkOneLine(t, err, "999 class folders")
	})
	t.Run("cmc", func(t *testing.T) {
		root := t.TempDir()
		writeImageFolder(t, root, cmc, 1)
		writeFile(t, root, "train/n01440764/extra.png", pngBytes(t, solid(2, 2, color.RGBA{})), false)
		ds, err := Open("imagenet100:"+root+":cmc", Options{ImageSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		// Labels follow sorted wnid order; n01440764 (not in the list) is left out.
		sorted := slices.Sorted(slices.Values(cmc))
		if !slices.Equal(ds.Classes, sorted) || ds.Train.Len() != 100 {
			t.Fatalf("classes %v…, %d train images", ds.Classes[:3], ds.Train.Len())
		}
		os.RemoveAll(filepath.Join(root, "val", cmc[7]))
		_, err = Open("imagenet100:"+root+":cmc", Options{})
		checkOneLine(t, err, filepath.Join(root, "val", cmc[7]))
	})
	t.Run("kaggle flat val", func(t *testing.T) {
		// Kaggle's archive: DIR/ILSVRC/Data/CLS-LOC/{train/<wnid>/, val/*.JPEG} and DIR/LOC_val_solution.csv.
		dir := t.TempDir()
		root := filepath.Join(dir, "ILSVRC", "Data", "CLS-LOC")
		csvText := "ImageId,PredictionString\n"
		for i, wnid := range cmc {
			writeFile(t, root, filepath.Join("train", wnid, "a.png"), pngBytes(t, solid(2, 2, color.RGBA{})), false)
			// Image ids run backwards so that id order differs from list order: class cmc[i] has id 200−i.
			id := fmt.Sprintf("ILSVRC2012_val_%08d", 200-i)
			writeFile(t, root, filepath.Join("val", id+".JPEG"), solidJPEG(t, 2, 2, color.RGBA{A: 255}), false)
			csvText += fmt.Sprintf("%s,%s 1 2 3 4 %s 5 6 7 8 \n", id, wnid, wnid)
		}
		csvText += "ILSVRC2012_val_00000001,n01440764 1 2 3 4\n" // not an ImageNet-100 class
		writeFile(t, dir, "LOC_val_solution.csv", []byte(csvText), false)
		ds, err := Open("imagenet100:"+dir+":cmc", Options{ImageSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		if ds.Test.Len() != 100 {
			t.Fatalf("%d validation images, want 100", ds.Test.Len())
		}
		// Test records are in id order: the first, id 101, is cmc[99] = n02090622.
		if got := ds.Classes[ds.Test.Label(0)]; got != "n02090622" {
			t.Errorf("first validation image is class %s, want n02090622", got)
		}
		writeFile(t, dir, "LOC_val_solution.csv", []byte(csvText+"ILSVRC2012_val_00000002,\n"), false)
		_, err = Open("imagenet100:"+dir+":cmc", Options{})
		checkOneLine(t, err, filepath.Join(dir, "LOC_val_solution.csv")+":103", "PredictionString")
	})
}
