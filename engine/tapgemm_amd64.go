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
