//go:build !amd64

package engine

// Off amd64 there are no SIMD kernels: convolutions take the im2col path, pooling and batch norm
// their Go loops.
const (
	avx512           = false
	tapGemmAvailable = false
	tapRows, tapCols = 12, 32
	tapPadB          = false
)

func tapGemm(*float32, []int, int, int, int, []float32, int, []float32, int, int, bool) {
	panic("engine: tapGemm has no kernel on this architecture")
}

func tapDepthwise([]float32, []int, int, []float32, int, []float32, int, int) {
	panic("engine: tapDepthwise has no kernel on this architecture")
}

func tapDot([]float32, []float32, int, int, []float32, int, bool) {
	panic("engine: tapDot has no kernel on this architecture")
}

func tapGemmRows(*float32, []int, []int, int, []float32, int, []float32, int, int) {
	panic("engine: tapGemmRows has no kernel on this architecture")
}
