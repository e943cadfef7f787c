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
