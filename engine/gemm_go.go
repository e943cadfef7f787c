package engine

// gemmGo is the pure-Go single-threaded sgemm (sgemm splits the work across threads) used when OpenBLAS is absent: both operands are first brought to
// plain row-major (A: M×K, B: K×N) and then rows of C are computed four at a time, so each row of
// B loaded from memory feeds four accumulations. It is written for correctness and a fair speed
// (a few GFLOP/s per core), not to compete with OpenBLAS.
func gemmGo(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int,
	beta float32, c []float32, ldc int) {
	if transA {
		p := getScratch(m * k)
		defer putScratch(p)
		for kk := 0; kk < k; kk++ {
			row := a[kk*lda : kk*lda+m]
			for i, v := range row {
				p[i*k+kk] = v
			}
		}
		a, lda = p, k
	}
	if transB {
		p := getScratch(k * n)
		defer putScratch(p)
		for j := 0; j < n; j++ {
			row := b[j*ldb : j*ldb+k]
			for kk, v := range row {
				p[kk*n+j] = v
			}
		}
		b, ldb = p, n
	}
	gemmRows(0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmRows computes rows [lo, hi) of C for row-major A (lda) and B (ldb).
func gemmRows(lo, hi, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int,
	beta float32, c []float32, ldc int) {
	for i := lo; i < hi; i++ {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
	i := lo
	for ; i+4 <= hi; i += 4 {
		c0 := c[i*ldc : i*ldc+n]
		c1 := c[(i+1)*ldc : (i+1)*ldc+n]
		c2 := c[(i+2)*ldc : (i+2)*ldc+n]
		c3 := c[(i+3)*ldc : (i+3)*ldc+n]
		for kk := 0; kk < k; kk++ {
			axpy4(c0, c1, c2, c3, b[kk*ldb:kk*ldb+n], alpha*a[i*lda+kk], alpha*a[(i+1)*lda+kk],
				alpha*a[(i+2)*lda+kk], alpha*a[(i+3)*lda+kk])
		}
	}
	for ; i < hi; i++ {
		c0 := c[i*ldc : i*ldc+n]
		for kk := 0; kk < k; kk++ {
			a0 := alpha * a[i*lda+kk]
			if a0 == 0 {
				continue
			}
			br := b[kk*ldb : kk*ldb+n]
			br = br[:len(c0)]
			for j, bv := range br {
				c0[j] += a0 * bv
			}
		}
	}
}
