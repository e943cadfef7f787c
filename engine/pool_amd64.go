package engine

import (
	"runtime"
	"unsafe"
)

// maxPool2x2Row pools one output row: ow pixels of c channels from the input row pair at in
// (rows rowStride floats apart) into dst.
func maxPool2x2Row(in *float32, rowStride, c, ow int, dst *float32) {
	maxPool2x2AVX512(in, rowStride*4, c, ow, dst)
}

// maxPool2x2GradRow writes the gradient of one output row's windows into out, which has in's
// layout from the same offset; src is the row's incoming gradient.
func maxPool2x2GradRow(in, out []float32, rowStride, c, ow int, src []float32) {
	delta := uintptr(unsafe.Pointer(&out[0])) - uintptr(unsafe.Pointer(&in[0]))
	maxPool2x2GradAVX512(&in[0], rowStride*4, c, ow, &src[0], int(delta))
	runtime.KeepAlive(out) // the kernel reaches out only through delta
}

//go:noescape
func maxPool2x2AVX512(in *float32, rowStride, c, nx int, dst *float32)

//go:noescape
func maxPool2x2GradAVX512(in *float32, rowStride, c, nx int, src *float32, delta int)
