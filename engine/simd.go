package engine

func fmaVecGo(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] += a[i] * b[i]
	}
}

func mulAddVecGo(dst, x, m, c []float32) {
	x, m, c = x[:len(dst)], m[:len(dst)], c[:len(dst)]
	for i := range dst {
		dst[i] = x[i]*m[i] + c[i]
	}
}

func axpy4Go(c0, c1, c2, c3, b []float32, a0, a1, a2, a3 float32) {
	b = b[:len(c0)]
	c1, c2, c3 = c1[:len(b)], c2[:len(b)], c3[:len(b)]
	for j, bv := range b {
		c0[j] += a0 * bv
		c1[j] += a1 * bv
		c2[j] += a2 * bv
		c3[j] += a3 * bv
	}
}
