package data

import (
	"errors"
	"io"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/train"
)

// A Loader feeds GoMLX's training loop directly.
var _ train.Dataset = (*Loader)(nil)

// readAll reads one epoch of l and returns all image values followed by the labels as floats.
func readAll(t testing.TB, l *Loader) []float32 {
	t.Helper()
	var out []float32
	var labels []float32
	for {
		b, err := l.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b.Images.ConstFlatData(func(f any) { out = append(out, f.([]float32)...) })
		b.Labels.ConstFlatData(func(f any) {
			for _, v := range f.([]int32) {
				labels = append(labels, float32(v))
			}
		})
		b.Images.FinalizeAll()
		b.Labels.FinalizeAll()
	}
	return append(out, labels...)
}

// identityLUT maps byte v to v+offset[c] in channel c.
func identityLUT(offsets ...float32) [][256]float32 {
	lut := make([][256]float32, len(offsets))
	for c, o := range offsets {
		for v := range 256 {
			lut[c][v] = float32(v) + o
		}
	}
	return lut
}

func TestAugmentInto(t *testing.T) {
	// src 2×3, one channel:  1 2 3 / 4 5 6, padded by 1. Crop offset (dy, dx) = (0, 2): output (y, x) is
	// source (y−1, x+1), so row 0 is padding and row 1 is source row 0 shifted left: 2 3 0.
	src := []uint8{1, 2, 3, 4, 5, 6}
	cases := []struct {
		name   string
		dy, dx int
		flip   bool
		want   []float32
	}{
		{"shift", 0, 2, false, []float32{0, 0, 0, 2, 3, 0}},
		// Flip after crop mirrors each output row: 2 3 0 → 0 3 2.
		{"shift+flip", 0, 2, true, []float32{0, 0, 0, 0, 3, 2}},
		// (1, 1) is the centered crop: the image itself.
		{"center", 1, 1, false, []float32{1, 2, 3, 4, 5, 6}},
		{"center+flip", 1, 1, true, []float32{3, 2, 1, 6, 5, 4}},
		// (2, 0): output (y, x) = source (y+1, x−1): row 0 is 0 4 5, row 1 is padding.
		{"down-right", 2, 0, false, []float32{0, 4, 5, 0, 0, 0}},
	}
	for _, c := range cases {
		got := make([]float32, 6)
		augmentInto(got, src, 2, 3, 1, 1, c.dy, c.dx, c.flip, identityLUT(0))
		if !equalF32(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	// Two channels, each through its own table (channel 1 adds 100, so its padding reads 100). src 1×2:
	// pixels (1,2) and (3,4). Offset (1, 0), pad 1: output x is source x−1, so x=0 is padding (0, 100)
	// and x=1 is pixel 0 (1, 102).
	got := make([]float32, 4)
	augmentInto(got, []uint8{1, 2, 3, 4}, 1, 2, 2, 1, 1, 0, false, identityLUT(0, 100))
	if want := []float32{0, 100, 1, 102}; !equalF32(got, want) {
		t.Errorf("two channels: got %v, want %v", got, want)
	}
}

func equalF32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestLoaderEvalBatches(t *testing.T) {
	ds, err := Open("builtin", Options{})
	if err != nil {
		t.Fatal(err)
	}
	test := ds.Test.Take(150)
	l := test.Loader(EvalOptions(64))
	// 150 records at batch 64: 64, 64, 22, then io.EOF.
	for k, want := range []int{64, 64, 22} {
		b, err := l.Next()
		if err != nil {
			t.Fatal(err)
		}
		if dims := b.Images.Shape().Dimensions; len(dims) != 4 || dims[0] != want || dims[1] != 28 || dims[2] != 28 || dims[3] != 1 {
			t.Fatalf("batch %d images %v, want [%d 28 28 1]", k, dims, want)
		}
		if dims := b.Labels.Shape().Dimensions; len(dims) != 2 || dims[0] != want || dims[1] != 1 {
			t.Fatalf("batch %d labels %v, want [%d 1]", k, dims, want)
		}
		img, _ := test.Image(64 * k)
		b.Images.ConstFlatData(func(f any) {
			// Unaugmented, in order: value = (v/255 − 0.2860)/0.3530, Fashion-MNIST's statistics.
			for p, v := range img {
				if want := (float32(v)/255 - 0.2860) / 0.3530; f.([]float32)[p] != want {
					t.Fatalf("batch %d pixel %d = %v, want %v", k, p, f.([]float32)[p], want)
				}
			}
		})
		b.Labels.ConstFlatData(func(f any) {
			for i, v := range f.([]int32) {
				if v != test.Label(64*k+i) {
					t.Fatalf("batch %d label %d = %d, want %d", k, i, v, test.Label(64*k+i))
				}
			}
		})
	}
	if _, err := l.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the epoch: %v, want io.EOF", err)
	}
	_, inputs, labels, err := l.Yield()
	if !errors.Is(err, io.EOF) || inputs != nil || labels != nil {
		t.Fatalf("Yield after the epoch: %v", err)
	}
	l.Reset()
	if _, inputs, labels, err = l.Yield(); err != nil || len(inputs) != 1 || len(labels) != 1 || l.Epoch() != 1 {
		t.Fatalf("Yield after Reset: %d inputs, %d labels, epoch %d, %v", len(inputs), len(labels), l.Epoch(), err)
	}
}

func TestLoaderTrainingDeterministic(t *testing.T) {
	ds, err := Open("builtin", Options{})
	if err != nil {
		t.Fatal(err)
	}
	split := ds.Train.Take(200)
	epoch := func(seed uint64, workers int, skip int) []float32 {
		opt := TrainOptions(32, seed)
		opt.Repeat = false
		opt.Workers = workers
		l := split.Loader(opt)
		for range skip {
			l.Reset()
		}
		return readAll(t, l)
	}
	a := epoch(1, 1, 0)
	// 200 records, batch 32, last partial batch dropped: 6 batches of 32 = 192 images and labels.
	if len(a) != 192*28*28+192 {
		t.Fatalf("epoch holds %d values, want %d", len(a), 192*28*28+192)
	}
	if b := epoch(1, 4, 0); !equalF32(a, b) {
		t.Error("same seed, 4 workers instead of 1: batches differ")
	}
	if b := epoch(2, 1, 0); equalF32(a, b) {
		t.Error("seeds 1 and 2 give the same batches")
	}
	if b := epoch(1, 1, 1); equalF32(a, b) {
		t.Error("epochs 0 and 1 give the same batches")
	}
	// Shuffling permutes: over a full epoch without dropping, the label histogram is the split's.
	l := split.Loader(LoaderOptions{BatchSize: 32, Shuffle: true, Augment: true, Seed: 5})
	counts := make([]int, 10)
	var order []int32
	for {
		b, err := l.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b.Labels.ConstFlatData(func(f any) {
			for _, v := range f.([]int32) {
				counts[v]++
				order = append(order, v)
			}
		})
	}
	want := split.ClassCounts()
	for c := range counts {
		if counts[c] != want[c] {
			t.Fatalf("class counts %v, want %v", counts, want)
		}
	}
	inOrder := true
	for i, v := range order {
		inOrder = inOrder && v == split.Label(i)
	}
	if inOrder {
		t.Error("shuffled epoch came out in file order")
	}
}

func TestLoaderRepeat(t *testing.T) {
	ds, err := Open("builtin", Options{})
	if err != nil {
		t.Fatal(err)
	}
	// 100 records, batch 32, DropLast and Repeat: batches 0–2 are epoch 0; the 4th starts epoch 1.
	l := ds.Train.Take(100).Loader(TrainOptions(32, 9))
	for k := range 4 {
		if _, err := l.Next(); err != nil {
			t.Fatal(err)
		}
		if want := uint64(k / 3); l.Epoch() != want {
			t.Fatalf("batch %d in epoch %d, want %d", k, l.Epoch(), want)
		}
	}
	// A split smaller than one batch yields nothing when incomplete batches are dropped.
	if _, err := ds.Train.Take(10).Loader(TrainOptions(32, 9)).Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("tiny split: %v, want io.EOF", err)
	}
}
