//go:build !amd64

package engine

// Off amd64 isPool2x2 is false (avx512 is): pooling takes the generic kernels and these never run.

func maxPool2x2Row(*float32, int, int, int, *float32) {
	panic("engine: maxPool2x2Row has no kernel on this architecture")
}

func maxPool2x2GradRow([]float32, []float32, int, int, int, []float32) {
	panic("engine: maxPool2x2GradRow has no kernel on this architecture")
}
