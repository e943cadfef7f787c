package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestMaxPool2x2MatchesGeneric checks the 2×2 pooling kernels against the definition (forward) and
// the generic select-and-scatter (gradient) on inputs with many ties — values drawn from four levels
// — so that "first maximum in scan order" is exercised, on odd sizes and channel counts that use the
// lane masks, at 1 and 3 threads.
func TestMaxPool2x2MatchesGeneric(t *testing.T) {
	if !avx512 {
		t.Skip("no AVX-512: pooling takes the generic path")
	}
	defer SetThreads(Threads())
	r := rand.New(rand.NewPCG(3, 4))
	for _, d := range [][4]int{{2, 4, 4, 32}, {1, 7, 5, 17}, {3, 6, 9, 1}, {2, 14, 14, 72}, {1, 3, 2, 33}, {2, 2, 2, 16}} {
		b, h, w, c := d[0], d[1], d[2], d[3]
		oh, ow := h/2, w/2
		in := make([]float32, b*h*w*c)
		for i := range in {
			in[i] = float32(r.IntN(4)) - 1.5
		}
		src := randSlice(b * oh * ow * c)
		want := make([]float32, b*oh*ow*c)
		for i := range want {
			ch := i % c
			px := i / c
			x, y, img := px%ow, (px/ow)%oh, px/(ow*oh)
			m := float32(math.Inf(-1))
			for dy := range 2 {
				for dx := range 2 {
					m = max(m, in[((img*h+2*y+dy)*w+2*x+dx)*c+ch])
				}
			}
			want[i] = m
		}
		wantGrad := make([]float32, len(in))
		selectAndScatter(wantGrad, in, src, []int{b, h, w, c}, []int{b, oh, ow, c},
			&windowParams{window: []int{1, 2, 2, 1}, strides: []int{1, 2, 2, 1}, paddings: make([][2]int, 4)})
		for _, threads := range []int{1, 3} {
			SetThreads(threads)
			name := fmt.Sprintf("%v, %d threads", d, threads)
			got := nanFilled(len(want))
			maxPool2x2(got, in, d[:])
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s: forward element %d = %v, want %v", name, i, got[i], want[i])
				}
			}
			grad := nanFilled(len(in))
			maxPool2x2Grad(grad, in, src, d[:])
			for i := range grad {
				if grad[i] != wantGrad[i] {
					t.Fatalf("%s: gradient element %d = %v, want %v", name, i, grad[i], wantGrad[i])
				}
			}
		}
	}
}

// BenchmarkMaxPool2x2 times the forward and gradient kernels on 128 images of 28×28×32.
func BenchmarkMaxPool2x2(b *testing.B) {
	if !avx512 {
		b.Skip("no AVX-512")
	}
	dims := []int{128, 28, 28, 32}
	in := randSlice(128 * 28 * 28 * 32)
	out, src, grad := make([]float32, len(in)/4), randSlice(len(in)/4), make([]float32, len(in))
	b.SetBytes(int64(4 * len(in)))
	for b.Loop() {
		maxPool2x2(out, in, dims)
		maxPool2x2Grad(grad, in, src, dims)
	}
}
