package engine

import "slices"

// Max pooling over 2×2 windows with stride 2 on channels-last images — every pooling layer the
// search and its networks build — has its own kernels on AVX-512 CPUs (pool_amd64.s): forward, and
// the gradient, which sends each window's incoming gradient to its first maximum.

// isPool2x2 reports whether a window over a rank-4 [B, H, W, C] tensor is the 2×2, stride-2 one
// without padding or dilation that the AVX-512 kernels cover.
func isPool2x2(window, strides, baseDilations, windowDilations []int, paddings [][2]int) bool {
	if !avx512 || len(window) != 4 {
		return false
	}
	for _, d := range [][]int{baseDilations, windowDilations} {
		if d != nil && !slices.Equal(d, []int{1, 1, 1, 1}) {
			return false
		}
	}
	for _, p := range paddings {
		if p != [2]int{} {
			return false
		}
	}
	return slices.Equal(window, []int{1, 2, 2, 1}) && slices.Equal(strides, []int{1, 2, 2, 1})
}

// maxPool2x2 sets out [B, H/2, W/2, C] to the maximum of each 2×2 window of in [B, H, W, C]
// (a trailing odd row or column belongs to no window).
func maxPool2x2(out, in []float32, dims []int) {
	b, h, w, c := dims[0], dims[1], dims[2], dims[3]
	oh, ow := h/2, w/2
	if oh == 0 || ow == 0 || c == 0 {
		return
	}
	parallelFor(b*oh, max(1, 4096/(ow*c)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			img, y := r/oh, r%oh
			maxPool2x2Row(&in[((img*h+2*y)*w)*c], w*c, c, ow, &out[r*ow*c])
		}
	})
}

// maxPool2x2Grad sets out (in's shape) to the gradient of maxPool2x2 for the incoming gradient src
// (the pooled shape): src's value at each window's first maximum, zero elsewhere.
func maxPool2x2Grad(out, in, src []float32, dims []int) {
	b, h, w, c := dims[0], dims[1], dims[2], dims[3]
	oh, ow := h/2, w/2
	if h%2 != 0 || w%2 != 0 || oh == 0 || ow == 0 {
		clear(out) // inputs outside every window get no gradient
	}
	if oh == 0 || ow == 0 || c == 0 {
		return
	}
	parallelFor(b*oh, max(1, 4096/(ow*c)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			img, y := r/oh, r%oh
			base := ((img*h + 2*y) * w) * c
			maxPool2x2GradRow(in[base:], out[base:], w*c, c, ow, src[r*ow*c:])
		}
	})
}
