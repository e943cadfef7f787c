package data

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

// benchLoader reads b.N batches from l and reports images per second.
func benchLoader(b *testing.B, l *Loader) {
	b.Helper()
	images := 0
	b.ResetTimer()
	for range b.N {
		batch, err := l.Next()
		if errors.Is(err, io.EOF) {
			l.Reset()
			batch, err = l.Next()
		}
		if err != nil {
			b.Fatal(err)
		}
		images += batch.Images.Shape().Dimensions[0]
		batch.Images.FinalizeAll()
		batch.Labels.FinalizeAll()
	}
	b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkLoaderAugment measures the training input pipeline of the demo: the built-in Fashion-MNIST
// subset, batch 64, shuffled, random crop with padding and flips, normalized into new GoMLX tensors.
func BenchmarkLoaderAugment(b *testing.B) {
	ds, err := Open("builtin", Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, workers := range []int{1, 0} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			opt := TrainOptions(64, 1)
			opt.Workers = workers
			benchLoader(b, ds.Train.Loader(opt))
		})
	}
}

// BenchmarkLoaderFolder measures an image folder (PNG and JPEG, resized to 32×32) at batch 64: the
// first epoch decodes, later epochs read the decoded records.
func BenchmarkLoaderFolder(b *testing.B) {
	root := b.TempDir()
	writeImageFolder(b, root, []string{"a", "b", "c", "d"}, 64)
	b.Run("decode", func(b *testing.B) {
		for range b.N {
			ds, err := Open("folder:"+root, Options{})
			if err != nil {
				b.Fatal(err)
			}
			if err := ds.Train.Preload(0); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(256*b.N)/b.Elapsed().Seconds(), "images/s")
	})
	b.Run("cached", func(b *testing.B) {
		ds, err := Open("folder:"+root, Options{Preload: true})
		if err != nil {
			b.Fatal(err)
		}
		benchLoader(b, ds.Train.Loader(TrainOptions(64, 1)))
	})
}
