package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// tapCase is one stride-1 2-D convolution: batch, image, channels in and out, kernel, dilations,
// paddings (top, bottom, left, right).
type tapCase struct {
	b, h, w, c, n, kh, kw, dh, dw int
	pad                           [4]int
	sh, sw                        int // strides; 0 means 1
}

func (tc tapCase) strides() (int, int) { return max(tc.sh, 1), max(tc.sw, 1) }

func (tc tapCase) String() string {
	sh, sw := tc.strides()
	return fmt.Sprintf("%dx%dx%dx%d→%d k%dx%d d%d,%d s%d,%d pad%v", tc.b, tc.h, tc.w, tc.c, tc.n, tc.kh, tc.kw, tc.dh, tc.dw, sh, sw, tc.pad)
}

func (tc tapCase) outSize() (int, int) {
	sh, sw := tc.strides()
	return (tc.h+tc.pad[0]+tc.pad[1]-(tc.kh-1)*tc.dh-1)/sh + 1, (tc.w+tc.pad[2]+tc.pad[3]-(tc.kw-1)*tc.dw-1)/sw + 1
}

var tapCases = []tapCase{
	{b: 3, h: 8, w: 8, c: 32, n: 32, kh: 3, kw: 3, dh: 1, dw: 1, pad: [4]int{1, 1, 1, 1}},                 // the common case
	{b: 2, h: 7, w: 9, c: 5, n: 24, kh: 3, kw: 3, dh: 1, dw: 1, pad: [4]int{1, 1, 1, 1}},                  // odd sizes, N < 32
	{b: 2, h: 9, w: 6, c: 16, n: 72, kh: 5, kw: 5, dh: 1, dw: 1, pad: [4]int{2, 2, 2, 2}},                 // 5×5, three column tiles
	{b: 2, h: 9, w: 9, c: 8, n: 40, kh: 3, kw: 3, dh: 2, dw: 2, pad: [4]int{2, 2, 2, 2}},                  // dilated: one tap per position
	{b: 1, h: 10, w: 7, c: 3, n: 8, kh: 3, kw: 3, dh: 2, dw: 1, pad: [4]int{0, 3, 2, 0}},                  // asymmetric padding, batch 1
	{b: 2, h: 6, w: 6, c: 7, n: 17, kh: 3, kw: 3, dh: 1, dw: 1, pad: [4]int{0, 0, 0, 0}},                  // no padding
	{b: 5, h: 4, w: 5, c: 1, n: 33, kh: 2, kw: 3, dh: 1, dw: 1, pad: [4]int{1, 0, 1, 1}},                  // one channel in, 33 out
	{b: 1, h: 3, w: 3, c: 12, n: 16, kh: 3, kw: 3, dh: 1, dw: 1, pad: [4]int{1, 1, 1, 1}},                 // image smaller than a tile
	{b: 2, h: 5, w: 5, c: 9, n: 32, kh: 1, kw: 3, dh: 1, dw: 1, pad: [4]int{0, 0, 1, 1}},                  // one kernel row
	{b: 1, h: 12, w: 12, c: 4, n: 6, kh: 3, kw: 3, dh: 3, dw: 3, pad: [4]int{3, 3, 3, 3}},                 // dilation 3
	{b: 4, h: 16, w: 16, c: 32, n: 48, kh: 3, kw: 3, dh: 1, dw: 1, pad: [4]int{1, 1, 1, 1}},               // several tiles per row
	{b: 2, h: 5, w: 6, c: 3, n: 5, kh: 3, kw: 3, dh: 1, dw: 1, pad: [4]int{3, 2, 3, 3}},                   // more padding than kernel: Wo > W + pad
	{b: 2, h: 6, w: 7, c: 6, n: 9, kh: 5, kw: 5, dh: 2, dw: 2, pad: [4]int{4, 4, 1, 7}},                   // dilated, lopsided padding
	{b: 3, h: 6, w: 5, c: 32, n: 40, kh: 1, kw: 1, dh: 1, dw: 1},                                          // 1×1, read in place
	{b: 2, h: 14, w: 14, c: 32, n: 32, kh: 3, kw: 3, dh: 1, dw: 1, pad: [4]int{1, 1, 1, 1}, sh: 2, sw: 2}, // stride 2 (a reduction pre-conv)
	{b: 2, h: 7, w: 7, c: 16, n: 24, kh: 3, kw: 3, dh: 1, dw: 1, sh: 2, sw: 2},                            // stride 2, no padding, odd size
	{b: 1, h: 9, w: 8, c: 5, n: 7, kh: 3, kw: 2, dh: 2, dw: 1, pad: [4]int{2, 1, 0, 1}, sh: 3, sw: 2},     // unequal strides, dilated rows
}

// forwardPlan is the plan of the forward convolution of tc in NHWC / HWIO layouts.
func (tc tapCase) forwardPlan() *convPlan {
	oh, ow := tc.outSize()
	sh, sw := tc.strides()
	p := &convParams{strides: []int{sh, sw}, inputDilations: []int{1, 1}, kernelDilations: []int{tc.dh, tc.dw},
		paddings: [][2]int{{tc.pad[0], tc.pad[1]}, {tc.pad[2], tc.pad[3]}}, channelGroupCount: 1, batchGroupCount: 1}
	p.axes.InputBatch, p.axes.InputSpatial, p.axes.InputChannels = 0, []int{1, 2}, 3
	p.axes.KernelSpatial, p.axes.KernelInputChannels, p.axes.KernelOutputChannels = []int{0, 1}, 2, 3
	p.axes.OutputBatch, p.axes.OutputSpatial, p.axes.OutputChannels = 0, []int{1, 2}, 3
	p.inputShape.Dimensions = []int{tc.b, tc.h, tc.w, tc.c}
	p.kernelShape.Dimensions = []int{tc.kh, tc.kw, tc.c, tc.n}
	p.outputShape.Dimensions = []int{tc.b, oh, ow, tc.n}
	return newConvPlan(p)
}

// kernelGradientPlan is the plan of the convolution the engine's VJP builds for tc's kernel
// gradient: x [B, H, W, C] with its batch as channels, the output gradient [B, Ho, Wo, N] as the
// kernel, dK [kh, kw, C, N] as the output; strides are the dilations, kernel dilations the strides.
func (tc tapCase) kernelGradientPlan() *convPlan {
	oh, ow := tc.outSize()
	sh, sw := tc.strides()
	p := &convParams{strides: []int{tc.dh, tc.dw}, inputDilations: []int{1, 1}, kernelDilations: []int{sh, sw},
		paddings: [][2]int{{tc.pad[0], tc.pad[1]}, {tc.pad[2], tc.pad[3]}}, channelGroupCount: 1, batchGroupCount: 1}
	p.axes.InputChannels, p.axes.InputSpatial, p.axes.InputBatch = 0, []int{1, 2}, 3
	p.axes.KernelInputChannels, p.axes.KernelSpatial, p.axes.KernelOutputChannels = 0, []int{1, 2}, 3
	p.axes.OutputSpatial, p.axes.OutputBatch, p.axes.OutputChannels = []int{0, 1}, 2, 3
	p.inputShape.Dimensions = []int{tc.b, tc.h, tc.w, tc.c}
	p.kernelShape.Dimensions = []int{tc.b, oh, ow, tc.n}
	p.outputShape.Dimensions = []int{tc.kh, tc.kw, tc.c, tc.n}
	return newConvPlan(p)
}

// convDirect is the definition, in float64: out[b, y, x, n] = Σ x[b, y·sh+i·dh−pt, x·sw+j·dw−pl, c]·k[i, j, c, n].
func (tc tapCase) convDirect(in, ker []float32) []float64 {
	oh, ow := tc.outSize()
	out := make([]float64, tc.b*oh*ow*tc.n)
	tc.eachTap(func(b, y, x, i, j, yi, xi int) {
		for c := range tc.c {
			v := float64(in[((b*tc.h+yi)*tc.w+xi)*tc.c+c])
			for n := range tc.n {
				out[((b*oh+y)*ow+x)*tc.n+n] += v * float64(ker[((i*tc.kw+j)*tc.c+c)*tc.n+n])
			}
		}
	})
	return out
}

// kernelGradientDirect is the definition: dK[i, j, c, n] = Σ x[b, y·sh+i·dh−pt, x·sw+j·dw−pl, c]·g[b, y, x, n].
func (tc tapCase) kernelGradientDirect(in, grad []float32) []float64 {
	oh, ow := tc.outSize()
	dk := make([]float64, tc.kh*tc.kw*tc.c*tc.n)
	tc.eachTap(func(b, y, x, i, j, yi, xi int) {
		for c := range tc.c {
			v := float64(in[((b*tc.h+yi)*tc.w+xi)*tc.c+c])
			for n := range tc.n {
				dk[((i*tc.kw+j)*tc.c+c)*tc.n+n] += v * float64(grad[((b*oh+y)*ow+x)*tc.n+n])
			}
		}
	})
	return dk
}

// eachTap calls f for every output position and kernel tap that reads inside the image.
func (tc tapCase) eachTap(f func(b, y, x, i, j, yi, xi int)) {
	oh, ow := tc.outSize()
	sh, sw := tc.strides()
	for b := range tc.b {
		for y := range oh {
			for x := range ow {
				for i := range tc.kh {
					for j := range tc.kw {
						yi, xi := y*sh+i*tc.dh-tc.pad[0], x*sw+j*tc.dw-tc.pad[2]
						if yi >= 0 && yi < tc.h && xi >= 0 && xi < tc.w {
							f(b, y, x, i, j, yi, xi)
						}
					}
				}
			}
		}
	}
}

// nanFilled returns n floats set to NaN, so that an element the kernel fails to write shows.
func nanFilled(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(math.NaN())
	}
	return s
}

func checkClose(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= 1e-4*(1+math.Abs(want[i]))) {
			t.Fatalf("%s: element %d = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// TestTapConvMatchesDefinition checks the tap convolution and its kernel gradient, with each kernel
// set the CPU can run, against the definitions in float64, on every thread count that changes how the work is split (images,
// bands of rows, shares of the kernel gradient).
func TestTapConvMatchesDefinition(t *testing.T) {
	forEachTapKernel(t, testTapConvMatchesDefinition)
}

func testTapConvMatchesDefinition(t *testing.T) {
	defer SetThreads(Threads())
	for _, tc := range tapCases {
		oh, ow := tc.outSize()
		in := randSlice(tc.b * tc.h * tc.w * tc.c)
		ker := randSlice(tc.kh * tc.kw * tc.c * tc.n)
		grad := randSlice(tc.b * oh * ow * tc.n)
		wantOut := tc.convDirect(in, ker)
		wantDK := tc.kernelGradientDirect(in, grad)
		fwd, kg := tc.forwardPlan(), tc.kernelGradientPlan()
		if fwd.tap == nil || kg.tap == nil || !kg.isKernelGradient() {
			t.Fatalf("%v: tap path not chosen (forward %v, kernel gradient %v)", tc, fwd.tap != nil, kg.tap != nil)
		}
		for _, threads := range []int{1, 2, 5} {
			SetThreads(threads)
			out := nanFilled(len(wantOut))
			fwd.tapConv(out, in, ker)
			checkClose(t, fmt.Sprintf("%v, %d threads, forward", tc, threads), out, wantOut)
			dk := nanFilled(len(wantDK))
			kg.tapKernelGradient(dk, in, grad)
			checkClose(t, fmt.Sprintf("%v, %d threads, kernel gradient", tc, threads), dk, wantDK)
		}
	}
}

// TestTapConvDeclines checks that convolutions the micro-kernels do not cover keep their path: input
// dilation (the input gradient of a strided convolution), channel groups other than depthwise, and
// strided depthwise.
func TestTapConvDeclines(t *testing.T) {
	base := tapCase{b: 1, h: 8, w: 8, c: 4, n: 4, kh: 3, kw: 3, dh: 1, dw: 1, pad: [4]int{1, 1, 1, 1}}
	dilated := base.forwardPlan().p
	dilated.inputDilations = []int{2, 2}
	dilated.outputShape.Dimensions = []int{1, 15, 15, 4}
	grouped := base.forwardPlan().p
	grouped.channelGroupCount = 2
	grouped.kernelShape.Dimensions = []int{3, 3, 2, 4}
	stridedDW, _ := tapCase{b: 1, h: 8, w: 8, c: 4, n: 4, kh: 3, kw: 3, dh: 1, dw: 1, pad: [4]int{1, 1, 1, 1}, sh: 2, sw: 2}.depthwisePlans()
	for name, p := range map[string]*convParams{"input dilation": dilated, "2 groups": grouped, "strided depthwise": stridedDW.p} {
		if pl := newConvPlan(p); pl.tap != nil {
			t.Errorf("%s took the tap path", name)
		}
	}
}

// BenchmarkTapConv3x3Forward is BenchmarkConv3x3Forward on the tap path.
func BenchmarkTapConv3x3Forward(b *testing.B) {
	tc := tapCase{b: 64, h: 32, w: 32, c: 32, n: 32, kh: 3, kw: 3, dh: 1, dw: 1, pad: [4]int{1, 1, 1, 1}}
	pl := tc.forwardPlan()
	if pl.tap == nil {
		b.Skip("no AVX-512")
	}
	in, ker, out := randSlice(64*32*32*32), randSlice(9*32*32), make([]float32, 64*32*32*32)
	b.SetBytes(int64(2 * 64 * 32 * 32 * 9 * 32 * 32)) // reported MB/s = MFLOP/s
	for b.Loop() {
		pl.tapConv(out, in, ker)
	}
}

// BenchmarkConv3x3KernelGradient times the kernel gradient of the same convolution on the tap
// path and on the im2col one.
func BenchmarkConv3x3KernelGradient(b *testing.B) {
	tc := tapCase{b: 64, h: 32, w: 32, c: 32, n: 32, kh: 3, kw: 3, dh: 1, dw: 1, pad: [4]int{1, 1, 1, 1}}
	pl := tc.kernelGradientPlan()
	in, grad, dk := randSlice(64*32*32*32), randSlice(64*32*32*32), make([]float32, 9*32*32)
	for _, path := range []string{"taps", "gemm"} {
		b.Run(path, func(b *testing.B) {
			if path == "taps" && pl.tap == nil {
				b.Skip("no AVX-512")
			}
			b.SetBytes(int64(2 * 64 * 32 * 32 * 9 * 32 * 32))
			for b.Loop() {
				if path == "taps" {
					pl.tapKernelGradient(dk, in, grad)
				} else {
					pl.kernelGradientGemm(dk, in, grad)
				}
			}
		})
	}
}

// depthwisePlans are the plans of tc as a depthwise convolution (one output channel per input
// channel; tc.n is ignored) and of its kernel gradient in the form the engine's VJP builds: one
// batch group per channel.
func (tc tapCase) depthwisePlans() (fwd, kg *convPlan) {
	tc.n = tc.c
	fwd = tc.forwardPlan()
	fwd.p.channelGroupCount = tc.c
	fwd.p.kernelShape.Dimensions = []int{tc.kh, tc.kw, 1, tc.c}
	kg = tc.kernelGradientPlan()
	kg.p.batchGroupCount = tc.c
	kg.p.outputShape.Dimensions = []int{tc.kh, tc.kw, 1, tc.c}
	return newConvPlan(fwd.p), newConvPlan(kg.p)
}

// depthwiseDirect is the definition of tc as a depthwise convolution and of its kernel gradient:
// out[b, y, x, c] = Σ_{i,j} x[b, y·sh+i·dh−pt, x·sw+j·dw−pl, c]·k[i, j, c], dK[i, j, c] = Σ x·g.
func (tc tapCase) depthwiseDirect(in, ker, grad []float32) (out, dk []float64) {
	oh, ow := tc.outSize()
	out = make([]float64, tc.b*oh*ow*tc.c)
	dk = make([]float64, tc.kh*tc.kw*tc.c)
	tc.eachTap(func(b, y, x, i, j, yi, xi int) {
		for c := range tc.c {
			v := float64(in[((b*tc.h+yi)*tc.w+xi)*tc.c+c])
			out[((b*oh+y)*ow+x)*tc.c+c] += v * float64(ker[(i*tc.kw+j)*tc.c+c])
			dk[(i*tc.kw+j)*tc.c+c] += v * float64(grad[((b*oh+y)*ow+x)*tc.c+c])
		}
	})
	return out, dk
}

// TestTapDepthwiseMatchesDefinition is TestTapConvMatchesDefinition for depthwise convolutions:
// out[b, y, x, c] = Σ_{i,j} x[b, y+i·dh−pt, x+j·dw−pl, c]·k[i, j, c], dK[i, j, c] = Σ x·g.
func TestTapDepthwiseMatchesDefinition(t *testing.T) {
	forEachTapKernel(t, testTapDepthwiseMatchesDefinition)
}

// The cases add 72 channels (two whole tiles and one of 8: a whole AVX2 block) and 21 (two whole
// blocks and one of 5) to tapCases.
func testTapDepthwiseMatchesDefinition(t *testing.T) {
	defer SetThreads(Threads())
	for _, tc := range append(tapCases, tapCase{b: 2, h: 14, w: 14, c: 72, n: 72, kh: 5, kw: 5, dh: 2, dw: 2, pad: [4]int{4, 4, 4, 4}},
		tapCase{b: 3, h: 7, w: 9, c: 21, n: 21, kh: 3, kw: 3, dh: 1, dw: 1, pad: [4]int{1, 1, 1, 1}}) {
		if sh, sw := tc.strides(); sh != 1 || sw != 1 {
			continue // strided depthwise keeps the direct path (TestTapConvDeclines)
		}
		tc.n = tc.c
		oh, ow := tc.outSize()
		in := randSlice(tc.b * tc.h * tc.w * tc.c)
		ker := randSlice(tc.kh * tc.kw * tc.c)
		grad := randSlice(tc.b * oh * ow * tc.c)
		wantOut, wantDK := tc.depthwiseDirect(in, ker, grad)
		fwd, kg := tc.depthwisePlans()
		if tc.c > 1 && (fwd.tap == nil || !fwd.isDepthwise() || kg.tap == nil || !kg.isKernelGradient() || kg.bgroups != tc.c) {
			t.Fatalf("%v: depthwise tap path not chosen", tc)
		}
		if fwd.tap == nil || kg.tap == nil {
			continue // one channel: a plain convolution, covered above
		}
		for _, threads := range []int{1, 2, 5} {
			SetThreads(threads)
			out := nanFilled(len(wantOut))
			fwd.tapDepthwiseConv(out, in, ker)
			checkClose(t, fmt.Sprintf("%v, %d threads, depthwise forward", tc, threads), out, wantOut)
			dk := nanFilled(len(wantDK))
			kg.tapDepthwiseKernelGradient(dk, in, grad)
			checkClose(t, fmt.Sprintf("%v, %d threads, depthwise kernel gradient", tc, threads), dk, wantDK)
		}
	}
}

// BenchmarkDepthwise3x3KernelGradient times a depthwise 3×3 kernel gradient, 64×32×32×32, on the
// tap path and on the direct one.
func BenchmarkDepthwise3x3KernelGradient(b *testing.B) {
	tc := tapCase{b: 64, h: 32, w: 32, c: 32, n: 32, kh: 3, kw: 3, dh: 1, dw: 1, pad: [4]int{1, 1, 1, 1}}
	fwd, kg := tc.depthwisePlans()
	in, grad, dk := randSlice(64*32*32*32), randSlice(64*32*32*32), make([]float32, 9*32)
	out := make([]float32, len(in))
	ker := randSlice(9 * 32)
	for _, path := range []string{"taps", "direct"} {
		b.Run(path, func(b *testing.B) {
			if path == "taps" && kg.tap == nil {
				b.Skip("no AVX2")
			}
			b.SetBytes(int64(2 * 64 * 32 * 32 * 9 * 32))
			for b.Loop() {
				if path == "taps" {
					fwd.tapDepthwiseConv(out, in, ker)
					kg.tapDepthwiseKernelGradient(dk, in, grad)
				} else {
					fwd.depthwise(out, in, ker)
					kg.depthwiseKernelGradient(dk, in, grad)
				}
			}
		})
	}
}

// TestTapConvRandomGeometries draws, for each kernel set, 60 small convolutions — kernel 1–5 per axis, dilation 1–3,
// stride 1–3, padding 0–4 on each side, 1–40 channels in and out, batch 1–3 — and checks the tap
// path, whenever it takes them, against the definition (forward and kernel gradient; depthwise too
// at stride 1).
func TestTapConvRandomGeometries(t *testing.T) {
	forEachTapKernel(t, testTapConvRandomGeometries)
}

func testTapConvRandomGeometries(t *testing.T) {
	defer SetThreads(Threads())
	r := rand.New(rand.NewPCG(5, 6))
	tried := 0
	for tried < 60 {
		tc := tapCase{b: 1 + r.IntN(3), h: 1 + r.IntN(12), w: 1 + r.IntN(12), c: 1 + r.IntN(40), n: 1 + r.IntN(40),
			kh: 1 + r.IntN(5), kw: 1 + r.IntN(5), dh: 1 + r.IntN(3), dw: 1 + r.IntN(3),
			pad: [4]int{r.IntN(5), r.IntN(5), r.IntN(5), r.IntN(5)}, sh: 1 + r.IntN(3), sw: 1 + r.IntN(3)}
		oh, ow := tc.outSize()
		if oh < 1 || ow < 1 || tc.h+tc.pad[0]+tc.pad[1] < (tc.kh-1)*tc.dh+1 || tc.w+tc.pad[2]+tc.pad[3] < (tc.kw-1)*tc.dw+1 {
			continue
		}
		tried++
		SetThreads(1 + r.IntN(3))
		in := randSlice(tc.b * tc.h * tc.w * tc.c)
		ker := randSlice(tc.kh * tc.kw * tc.c * tc.n)
		grad := randSlice(tc.b * oh * ow * tc.n)
		fwd, kg := tc.forwardPlan(), tc.kernelGradientPlan()
		if fwd.tap == nil || kg.tap == nil {
			t.Fatalf("%v: tap path not chosen", tc)
		}
		out := nanFilled(tc.b * oh * ow * tc.n)
		fwd.tapConv(out, in, ker)
		checkClose(t, fmt.Sprintf("%v forward", tc), out, tc.convDirect(in, ker))
		dk := nanFilled(len(ker))
		kg.tapKernelGradient(dk, in, grad)
		checkClose(t, fmt.Sprintf("%v kernel gradient", tc), dk, tc.kernelGradientDirect(in, grad))
		if tc.sh > 1 || tc.sw > 1 || tc.c == 1 {
			continue // depthwise taps need stride 1; one channel is a plain convolution
		}
		dwf, dwk := tc.depthwisePlans()
		if dwf.tap == nil || dwk.tap == nil {
			t.Fatalf("%v: depthwise tap path not chosen", tc)
		}
		dker, dgrad := ker[:tc.kh*tc.kw*tc.c], randSlice(tc.b*oh*ow*tc.c)
		wantOut, wantDK := tc.depthwiseDirect(in, dker, dgrad)
		dout := nanFilled(len(wantOut))
		dwf.tapDepthwiseConv(dout, in, dker)
		checkClose(t, fmt.Sprintf("%v depthwise forward", tc), dout, wantOut)
		ddk := nanFilled(len(wantDK))
		dwk.tapDepthwiseKernelGradient(ddk, in, dgrad)
		checkClose(t, fmt.Sprintf("%v depthwise kernel gradient", tc), ddk, wantDK)
	}
}
