//go:build !amd64

package engine

// tapGemmAvailable is false off amd64: the tap convolutions have no micro-kernel there and
// convolutions take the im2col path.
const tapGemmAvailable = false

func tapGemm(*float32, []int, int, int, int, []float32, int, []float32, int, uint16, uint16, bool) {
	panic("engine: tapGemm has no kernel on this architecture")
}

func tapDepthwise(*float32, []int, int, []float32, int, []float32, int, uint16, uint16) {
	panic("engine: tapDepthwise has no kernel on this architecture")
}

func tapDot(*float32, *float32, int, int, []float32, uint16, uint16, bool) {
	panic("engine: tapDot has no kernel on this architecture")
}

func tapGemmRows(*float32, []int, []int, int, []float32, int, []float32, int, uint16, uint16) {
	panic("engine: tapGemmRows has no kernel on this architecture")
}

func maxPool2x2Row(*float32, int, int, int, *float32) {
	panic("engine: maxPool2x2Row has no kernel on this architecture")
}

func maxPool2x2GradRow([]float32, []float32, int, int, int, []float32) {
	panic("engine: maxPool2x2GradRow has no kernel on this architecture")
}
