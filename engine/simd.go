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
