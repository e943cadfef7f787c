package engine

import (
	"math/rand/v2"
	"testing"
)

func randSlice(n int) []float32 {
	r := rand.New(rand.NewPCG(1, 2))
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32() - 0.5
	}
	return s
}

// BenchmarkSgemmIm2col is the GEMM of a 3×3, 32→32 convolution on a batch of 64 32×32 images
// (M=65536, K=288, N=32): 1.21 GFLOP per call.
func BenchmarkSgemmIm2col(b *testing.B) {
	m, k, n := 65536, 288, 32
	a, w, c := randSlice(m*k), randSlice(k*n), make([]float32, m*n)
	b.SetBytes(int64(2 * m * k * n)) // reported MB/s = MFLOP/s
	for b.Loop() {
		sgemm(false, false, m, n, k, 1, a, k, w, n, 0, c, n)
	}
}

// BenchmarkConv3x3Forward times one engine 3×3 convolution (im2col + sgemm) of the same size.
func BenchmarkConv3x3Forward(b *testing.B) {
	benchConv(b, 3, 1, 1)
}

// BenchmarkDepthwise3x3Forward times one direct depthwise 3×3 convolution, 64×32×32×32.
func BenchmarkDepthwise3x3Forward(b *testing.B) {
	benchConv(b, 3, 1, 32)
}

func benchConv(b *testing.B, k, dil, groups int) {
	bt, h, w, c := 64, 32, 32, 32
	p := &convParams{strides: []int{1, 1}, inputDilations: []int{1, 1}, kernelDilations: []int{dil, dil},
		paddings: [][2]int{{k / 2 * dil, k / 2 * dil}, {k / 2 * dil, k / 2 * dil}}, channelGroupCount: groups, batchGroupCount: 1}
	p.axes.InputBatch, p.axes.InputSpatial, p.axes.InputChannels = 0, []int{1, 2}, 3
	p.axes.KernelSpatial, p.axes.KernelInputChannels, p.axes.KernelOutputChannels = []int{0, 1}, 2, 3
	p.axes.OutputBatch, p.axes.OutputSpatial, p.axes.OutputChannels = 0, []int{1, 2}, 3
	in, ker, out := randSlice(bt*h*w*c), randSlice(k*k*c/groups*c), make([]float32, bt*h*w*c)
	pl := &convPlan{}
	p.inputShape.Dimensions = []int{bt, h, w, c}
	p.kernelShape.Dimensions = []int{k, k, c / groups, c}
	p.outputShape.Dimensions = []int{bt, h, w, c}
	pl = newConvPlan(p)
	b.SetBytes(int64(2 * bt * h * w * c * k * k * c / groups))
	for b.Loop() {
		if pl.isDepthwise() {
			pl.depthwise(out, in, ker)
		} else {
			pl.im2colGemm(out, in, ker)
		}
	}
}
