package engine

import "golang.org/x/sys/cpu"

// tapGemmAvailable says the tap-convolution micro-kernel can run: it needs AVX-512F, and
// UBOOST_NOSIMD turns it off with the other vector loops.
var tapGemmAvailable = useAVX2 && cpu.X86.HasAVX512F

// tapGemm computes one 12×32 tile C[r, col] (+)= Σ_taps Σ_k A[taps[t] + r·lda + k·kstep]·B[k', col]
// for r < 12 and the columns the masks keep (m0: columns 0–15, m1: 16–31), k' counting the
// contraction over all taps (run per tap). a points at the tile's first row; strides in floats,
// tap offsets in bytes. The caller guarantees that every address read or written is inside its
// buffers.
func tapGemm(a *float32, taps []int, run, lda, kstep int, b []float32, ldb int, c []float32, ldc int,
	m0, m1 uint16, accumulate bool) {
	acc := 0
	if accumulate {
		acc = 1
	}
	tapGemm12x32AVX512(a, &taps[0], len(taps), run, lda*4, kstep*4, &b[0], ldb*4, &c[0], ldc*4, m0, m1, acc)
}

//go:noescape
func tapGemm12x32AVX512(a *float32, taps *int, ntaps, kpt, lda, kstep int, b *float32, ldb int,
	c *float32, ldc int, mask0, mask1 uint16, accumulate int)

// tapDepthwise computes one 12×32 depthwise tile C[r, ch] = Σ_taps A[taps[t] + r·lda + ch]·W[t, ch]
// for the channels the masks keep; a points at the tile's first row and first channel, w at the
// first tap's weights for that channel, the next tap's wstride floats on; strides in floats, tap
// offsets in bytes.
func tapDepthwise(a *float32, taps []int, lda int, w []float32, wstride int, c []float32, ldc int, m0, m1 uint16) {
	tapDepthwise12x32AVX512(a, &taps[0], len(taps), lda*4, &w[0], wstride*4, &c[0], ldc*4, m0, m1)
}

// tapDot sets (or with accumulate, adds to) dst[ch] the sum over r < rows of p[r·stride + ch]·
// g[r·stride + ch] for the 32 channels the masks keep; stride in floats.
func tapDot(p, g *float32, rows, stride int, dst []float32, m0, m1 uint16, accumulate bool) {
	acc := 0
	if accumulate {
		acc = 1
	}
	tapDot32AVX512(p, g, rows, stride*4, &dst[0], m0, m1, acc)
}

//go:noescape
func tapDepthwise12x32AVX512(a *float32, taps *int, ntaps, lda int, w *float32, wstride int,
	c *float32, ldc int, mask0, mask1 uint16)

//go:noescape
func tapDot32AVX512(p, q *float32, rows, stride int, dst *float32, mask0, mask1 uint16, accumulate int)

// tapGemmRows is tapGemm for a tile whose 12 rows start anywhere: row i reads A at a + rowOffs[i]
// (bytes) + tap + k (contiguous runs of run floats per tap), so the tile can hold exactly the
// outputs that exist, and its rows are written ldc floats apart.
func tapGemmRows(a *float32, rowOffs []int, taps []int, run int, b []float32, ldb int, c []float32, ldc int, m0, m1 uint16) {
	_ = rowOffs[tapRows-1]
	tapGemmRows12x32AVX512(a, &rowOffs[0], &taps[0], len(taps), run, &b[0], ldb*4, &c[0], ldc*4, m0, m1)
}

//go:noescape
func tapGemmRows12x32AVX512(a *float32, rowOffs *int, taps *int, ntaps, kpt int, b *float32, ldb int,
	c *float32, ldc int, mask0, mask1 uint16)
