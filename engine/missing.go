package engine

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

// Executors for the ops simplego v0.26.0 lacks. Data movement (Reverse, Pad) is dtype-agnostic,
// on bytes; arithmetic (SelectAndScatter, BatchNorm) is written for float32 (and float64 where a
// test or a user might need it).

func init() {
	sgSetNodeExecutor(backends.OpTypeReverse, priorityUser, execReverse)
	sgSetNodeExecutor(backends.OpTypePad, priorityUser, execPad)
	sgSetNodeExecutor(backends.OpTypeSelectAndScatterMax, priorityUser, execSelectAndScatter)
	sgSetNodeExecutor(backends.OpTypeSelectAndScatterMin, priorityUser, execSelectAndScatter)
	sgSetNodeExecutor(backends.OpTypeBatchNormForInference, priorityUser, execBatchNormInference)
	sgMultiExecutors[backends.OpTypeBatchNormForTraining] = execBatchNormTraining
	sgMultiExecutors[backends.OpTypeBatchNormGradient] = execBatchNormGradient
}

// rowMajorStrides returns the element strides of a row-major tensor.
func rowMajorStrides(dims []int) []int {
	st := make([]int, len(dims))
	s := 1
	for a := len(dims) - 1; a >= 0; a-- {
		st[a] = s
		s *= dims[a]
	}
	return st
}

// moveBox copies the box dims (element counts per axis) from src to dst, both addressed with
// element offsets and per-axis element strides (possibly negative), es bytes per element.
func moveBox(dst []byte, dOff int, dStr []int, src []byte, sOff int, sStr []int, dims []int, es int) {
	for _, d := range dims {
		if d == 0 {
			return
		}
	}
	if len(dims) == 0 {
		copy(dst[dOff*es:dOff*es+es], src[sOff*es:sOff*es+es])
		return
	}
	last := len(dims) - 1
	n := dims[last]
	var rec func(axis, d, s int)
	rec = func(axis, d, s int) {
		if axis == last {
			if dStr[last] == 1 && sStr[last] == 1 {
				copy(dst[d*es:(d+n)*es], src[s*es:(s+n)*es])
				return
			}
			for i := 0; i < n; i++ {
				copy(dst[d*es:d*es+es], src[s*es:s*es+es])
				d += dStr[last]
				s += sStr[last]
			}
			return
		}
		for i := 0; i < dims[axis]; i++ {
			rec(axis+1, d+i*dStr[axis], s+i*sStr[axis])
		}
	}
	rec(0, dOff, sOff)
}

func execReverse(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, _ []bool) (*simplego.Buffer, error) {
	p := nodeData(node).(*reverseParams)
	shape := nodeShape(node)
	out := newOutput(backend, shape)
	es := int(shape.DType.Size())
	dims := shape.Dimensions
	st := rowMajorStrides(dims)
	sStr := append([]int(nil), st...)
	sOff := 0
	for _, a := range p.axes {
		if dims[a] > 0 {
			sOff += (dims[a] - 1) * st[a]
		}
		sStr[a] = -st[a]
	}
	moveBox(rawBytes(backend, out), 0, st, rawBytes(backend, inputs[0]), sOff, sStr, dims, es)
	return out, nil
}

func execPad(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, _ []bool) (*simplego.Buffer, error) {
	p := nodeData(node).(*padParams)
	shape := nodeShape(node)
	inShape := bufShape(backend, inputs[0])
	out := newOutput(backend, shape)
	es := int(shape.DType.Size())
	dst := rawBytes(backend, out)
	fill := rawBytes(backend, inputs[1])
	// Fill the output by doubling copies of the fill value.
	if len(dst) > 0 {
		copy(dst, fill[:es])
		for done := es; done < len(dst); done *= 2 {
			copy(dst[done:], dst[:done])
		}
	}
	// Input index i along axis a lands at Start + i·(Interior+1); keep those inside the output.
	outSt := rowMajorStrides(shape.Dimensions)
	inSt := rowMajorStrides(inShape.Dimensions)
	r := inShape.Rank()
	dStr, box := make([]int, r), make([]int, r)
	dOff, sOff := 0, 0
	for a := range r {
		c := p.axes[a]
		step := c.Interior + 1
		n := inShape.Dimensions[a]
		lo := 0
		if c.Start < 0 {
			lo = (-c.Start + step - 1) / step
		}
		hi := n // exclusive
		for hi > lo && c.Start+(hi-1)*step >= shape.Dimensions[a] {
			hi--
		}
		if hi <= lo {
			return out, nil
		}
		box[a] = hi - lo
		dStr[a] = outSt[a] * step
		dOff += (c.Start + lo*step) * outSt[a]
		sOff += lo * inSt[a]
	}
	moveBox(dst, dOff, dStr, rawBytes(backend, inputs[0]), sOff, inSt, box, es)
	return out, nil
}

func execSelectAndScatter(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, _ []bool) (*simplego.Buffer, error) {
	p := nodeData(node).(*windowParams)
	shape := nodeShape(node)
	out := newOutput(backend, shape)
	srcShape := bufShape(backend, inputs[1])
	opFlat, _ := backend.BufferData(inputs[0])
	srcFlat, _ := backend.BufferData(inputs[1])
	outFlat, _ := backend.BufferData(out)
	switch shape.DType {
	case dtypes.Float32:
		if !p.isMin && isPool2x2(p.window, p.strides, nil, nil, p.paddings) {
			maxPool2x2Grad(outFlat.([]float32), opFlat.([]float32), srcFlat.([]float32), shape.Dimensions)
			break
		}
		if selectAndScatterRuns(outFlat.([]float32), opFlat.([]float32), srcFlat.([]float32), shape.Dimensions, srcShape.Dimensions, p) {
			break
		}
		selectAndScatter(outFlat.([]float32), opFlat.([]float32), srcFlat.([]float32), shape.Dimensions, srcShape.Dimensions, p)
	case dtypes.Float64:
		selectAndScatter(outFlat.([]float64), opFlat.([]float64), srcFlat.([]float64), shape.Dimensions, srcShape.Dimensions, p)
	default:
		return nil, fmt.Errorf("engine: SelectAndScatter: dtype %s not supported", shape.DType)
	}
	return out, nil
}

// selectAndScatter: for each window (one per source element) find the first max (or min) of the
// operand inside it — padding is never selected — and add the source value there.
func selectAndScatter[T float32 | float64](out, operand, source []T, dims, srcDims []int, p *windowParams) {
	clear(out)
	r := len(dims)
	st := rowMajorStrides(dims)
	// Window offsets, as per-axis coordinates and as flat offsets.
	var wcoords [][]int
	var woffs []int
	wc := make([]int, r)
	for {
		wcoords = append(wcoords, append([]int(nil), wc...))
		off := 0
		for a := range r {
			off += wc[a] * st[a]
		}
		woffs = append(woffs, off)
		a := r - 1
		for ; a >= 0; a-- {
			wc[a]++
			if wc[a] < p.window[a] {
				break
			}
			wc[a] = 0
		}
		if a < 0 {
			break
		}
	}
	pos := make([]int, r)
	start := make([]int, r)
	for si := range source {
		inside := true
		base := 0
		for a := range r {
			start[a] = pos[a]*p.strides[a] - p.paddings[a][0]
			if start[a] < 0 || start[a]+p.window[a] > dims[a] {
				inside = false
			}
			base += start[a] * st[a]
		}
		best := -1
		var bv T
		for w, off := range woffs {
			if !inside {
				ok := true
				for a := range r {
					c := start[a] + wcoords[w][a]
					if c < 0 || c >= dims[a] {
						ok = false
						break
					}
				}
				if !ok {
					continue
				}
			}
			v := operand[base+off]
			if best < 0 || (!p.isMin && v > bv) || (p.isMin && v < bv) {
				best, bv = base+off, v
			}
		}
		if best >= 0 {
			out[best] += source[si]
		}
		for a := r - 1; a >= 0; a-- {
			pos[a]++
			if pos[a] < srcDims[a] {
				break
			}
			pos[a] = 0
		}
	}
}

// bnLayout views a tensor as [outer, C, inner] around the feature axis.
func bnLayout(dims []int, axis int) (outer, c, inner int) {
	outer, inner = 1, 1
	for a, d := range dims {
		switch {
		case a < axis:
			outer *= d
		case a > axis:
			inner *= d
		}
	}
	return outer, dims[axis], inner
}

// selectAndScatterRuns is selectAndScatter for windows that leave the trailing axes (channels)
// alone: each output row's channels are handled as one vector — running max and its position per
// channel — then scattered. It returns false (doing nothing) for other windows.
func selectAndScatterRuns(out, operand, source []float32, dims, srcDims []int, p *windowParams) bool {
	r := len(dims)
	lead, run := r, 1
	for lead > 0 {
		a := lead - 1
		if p.window[a] != 1 || p.strides[a] != 1 || p.paddings[a] != [2]int{} || dims[a] != srcDims[a] {
			break
		}
		run *= dims[a]
		lead--
	}
	if lead == r {
		return false
	}
	clear(out)
	nWin := 1
	for a := range lead {
		nWin *= p.window[a]
	}
	rows := len(source) / run
	// Rows scatter in parallel only when windows cannot overlap (stride ≥ window on every axis):
	// then no two rows write the same output.
	disjoint := true
	for a := range lead {
		disjoint = disjoint && p.strides[a] >= p.window[a]
	}
	chunk := rows
	if disjoint {
		chunk = max(1, 4096/run)
	}
	parallelFor(rows, chunk, func(lo, hi int) {
		scatterRows(out, operand, source, dims, srcDims, p, lead, run, nWin, lo, hi)
	})
	return true
}

// scatterRows does selectAndScatterRuns for source rows [lo, hi).
func scatterRows(out, operand, source []float32, dims, srcDims []int, p *windowParams, lead, run, nWin, lo, hi int) {
	best := make([]float32, run)
	pos := make([]int, run)
	sc := make([]int, lead)
	wc := make([]int, lead)
	for row := lo; row < hi; row++ {
		rem := row
		for a := lead - 1; a >= 0; a-- {
			sc[a] = rem % srcDims[a]
			rem /= srcDims[a]
		}
		for i := range pos {
			pos[i] = -1
		}
		clear(wc)
		for w := 0; w < nWin; w++ {
			off, ok := 0, true
			for a := range lead {
				c := sc[a]*p.strides[a] - p.paddings[a][0] + wc[a]
				if c < 0 || c >= dims[a] {
					ok = false
					break
				}
				off = off*dims[a] + c
			}
			if ok {
				base := off * run
				src := operand[base : base+run]
				for i, v := range src {
					if pos[i] < 0 || (!p.isMin && v > best[i]) || (p.isMin && v < best[i]) {
						best[i], pos[i] = v, base+i
					}
				}
			}
			for a := lead - 1; a >= 0; a-- {
				wc[a]++
				if wc[a] < p.window[a] {
					break
				}
				wc[a] = 0
			}
		}
		srcRow := source[row*run : (row+1)*run]
		for i, v := range srcRow {
			if pos[i] >= 0 {
				out[pos[i]] += v
			}
		}
	}
}
