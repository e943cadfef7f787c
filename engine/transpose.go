package engine

import (
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

func init() {
	sgSetNodeExecutor(backends.OpTypeTranspose, priorityUser, execTranspose)
}

// execTranspose runs float32 Transpose ops (the convolution gradients' kernel transposes, 3% of a
// supernet step on simplego's element-by-element iterator) with transposeF32.
func execTranspose(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, inputsOwned []bool) (*simplego.Buffer, error) {
	perm, ok := nodeData(node).([]int)
	if !ok || nodeShape(node).DType != dtypes.Float32 {
		return sgExecTranspose(backend, node, inputs, inputsOwned)
	}
	out := newOutput(backend, nodeShape(node))
	transposeF32(f32(backend, out), f32(backend, inputs[0]), bufShape(backend, inputs[0]).Dimensions, perm)
	return out, nil
}

// isIdentity reports whether perm is 0, 1, ..., n-1.
func isIdentity(perm []int) bool {
	for i, p := range perm {
		if p != i {
			return false
		}
	}
	return true
}

// transposeF32 writes into dst the float32 tensor src (row-major, dims) with its axes permuted:
// axis i of dst is axis perm[i] of src. Runs along an unmoved last axis are copied whole; the
// outer axes are split across threads.
func transposeF32(dst, src []float32, dims, perm []int) {
	r := len(dims)
	if r == 0 || isIdentity(perm) {
		copy(dst, src)
		return
	}
	inSt := rowMajorStrides(dims)
	outDims := make([]int, r)
	sStr := make([]int, r)
	for i, a := range perm {
		outDims[i] = dims[a]
		sStr[i] = inSt[a]
	}
	total := 1
	for _, d := range outDims {
		total *= d
	}
	if total == 0 {
		return
	}
	// Merge the trailing output axes that stay contiguous in the input into one run.
	last := r - 1
	run := 1
	for last >= 0 && sStr[last] == run {
		run *= outDims[last]
		last--
	}
	if last < 0 {
		copy(dst, src)
		return
	}
	// Rows: all output axes [0, last]; each row copies `run` contiguous elements (run may be 1).
	rows := total / run
	parallelFor(rows, max(1, 4096/run), func(lo, hi int) {
		idx := make([]int, last+1)
		rem := lo
		for a := last; a >= 0; a-- {
			idx[a] = rem % outDims[a]
			rem /= outDims[a]
		}
		s := 0
		for a := 0; a <= last; a++ {
			s += idx[a] * sStr[a]
		}
		inner, innerS := outDims[last], sStr[last]
		for row := lo; row < hi; {
			// Walk the innermost moved axis in a tight loop.
			n := min(inner-idx[last], hi-row)
			d := row * run
			if run == 1 {
				p := s
				for j := 0; j < n; j++ {
					dst[d+j] = src[p]
					p += innerS
				}
			} else {
				p := s
				for j := 0; j < n; j++ {
					copy(dst[d+j*run:d+(j+1)*run], src[p:p+run])
					p += innerS
				}
			}
			row += n
			s += n * innerS
			idx[last] += n
			for a := last; a > 0 && idx[a] == outDims[a]; a-- {
				s -= idx[a] * sStr[a]
				idx[a] = 0
				idx[a-1]++
				s += sStr[a-1]
			}
		}
	})
}
