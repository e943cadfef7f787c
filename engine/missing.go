package engine

import (
	"fmt"
	"math"
	"sync"

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

// channelSums returns, per channel, Σ f(x, y) over [outer, C, inner] with y optional, computed in
// float64 over parallel chunks of the outer axis.
func channelSums(x, y []float32, outer, c, inner int, f func(c int, x, y float32) float64) []float64 {
	var mu sync.Mutex
	total := make([]float64, c)
	parallelFor(outer, max(1, 32768/max(c*inner, 1)), func(lo, hi int) {
		part := make([]float64, c)
		for o := lo; o < hi; o++ {
			for ch := 0; ch < c; ch++ {
				base := (o*c + ch) * inner
				var s float64
				for i := base; i < base+inner; i++ {
					var yv float32
					if y != nil {
						yv = y[i]
					}
					s += f(ch, x[i], yv)
				}
				part[ch] += s
			}
		}
		mu.Lock()
		for ch := range total {
			total[ch] += part[ch]
		}
		mu.Unlock()
	})
	return total
}

// channelMap sets out[i] = f(c, x[i], y[i]) over [outer, C, inner], in parallel.
func channelMap(out, x, y []float32, outer, c, inner int, f func(c int, x, y float32) float32) {
	parallelFor(outer, max(1, 32768/max(c*inner, 1)), func(lo, hi int) {
		for o := lo; o < hi; o++ {
			for ch := 0; ch < c; ch++ {
				base := (o*c + ch) * inner
				for i := base; i < base+inner; i++ {
					var yv float32
					if y != nil {
						yv = y[i]
					}
					out[i] = f(ch, x[i], yv)
				}
			}
		}
	})
}

func execBatchNormTraining(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, _ []bool) ([]*simplego.Buffer, error) {
	p := nodeData(node).(*bnParams)
	shape := bufShape(backend, inputs[0])
	x, scale, offset := f32(backend, inputs[0]), f32(backend, inputs[1]), f32(backend, inputs[2])
	outer, c, inner := bnLayout(shape.Dimensions, p.featureAxis)
	n := float64(outer * inner)
	sum := channelSums(x, nil, outer, c, inner, func(_ int, x, _ float32) float64 { return float64(x) })
	mean := make([]float32, c)
	for ch := range mean {
		mean[ch] = float32(sum[ch] / n)
	}
	sq := channelSums(x, nil, outer, c, inner, func(ch int, x, _ float32) float64 {
		d := float64(x - mean[ch])
		return d * d
	})
	outs := []*simplego.Buffer{newOutput(backend, shape), newOutput(backend, nodeShape(nodeMultiOutputs(node)[1])),
		newOutput(backend, nodeShape(nodeMultiOutputs(node)[2]))}
	m, v := f32(backend, outs[1]), f32(backend, outs[2])
	mul, add := make([]float32, c), make([]float32, c)
	for ch := range c {
		m[ch] = mean[ch]
		v[ch] = float32(sq[ch] / n)
		mul[ch] = scale[ch] / float32(math.Sqrt(float64(v[ch])+float64(p.epsilon)))
		add[ch] = offset[ch] - mean[ch]*mul[ch]
	}
	channelMap(f32(backend, outs[0]), x, nil, outer, c, inner, func(ch int, x, _ float32) float32 { return x*mul[ch] + add[ch] })
	return outs, nil
}

func execBatchNormInference(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, _ []bool) (*simplego.Buffer, error) {
	p := nodeData(node).(*bnParams)
	shape := bufShape(backend, inputs[0])
	x, scale, offset := f32(backend, inputs[0]), f32(backend, inputs[1]), f32(backend, inputs[2])
	mean, variance := f32(backend, inputs[3]), f32(backend, inputs[4])
	outer, c, inner := bnLayout(shape.Dimensions, p.featureAxis)
	mul, add := make([]float32, c), make([]float32, c)
	for ch := range c {
		mul[ch] = scale[ch] / float32(math.Sqrt(float64(variance[ch])+float64(p.epsilon)))
		add[ch] = offset[ch] - mean[ch]*mul[ch]
	}
	out := newOutput(backend, shape)
	channelMap(f32(backend, out), x, nil, outer, c, inner, func(ch int, x, _ float32) float32 { return x*mul[ch] + add[ch] })
	return out, nil
}

// execBatchNormGradient: with x̂ = (x−μ)/σ, σ = √(var+ε), N elements per channel and g the output
// gradient: ∂offset = Σg, ∂scale = Σg·x̂, ∂x = scale/σ · (g − ∂offset/N − x̂·∂scale/N).
func execBatchNormGradient(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, _ []bool) ([]*simplego.Buffer, error) {
	p := nodeData(node).(*bnParams)
	shape := bufShape(backend, inputs[0])
	x, scale := f32(backend, inputs[0]), f32(backend, inputs[1])
	mean, variance, g := f32(backend, inputs[2]), f32(backend, inputs[3]), f32(backend, inputs[4])
	outer, c, inner := bnLayout(shape.Dimensions, p.featureAxis)
	n := float32(outer * inner)
	inv := make([]float32, c)
	for ch := range c {
		inv[ch] = 1 / float32(math.Sqrt(float64(variance[ch])+float64(p.epsilon)))
	}
	sumG := channelSums(x, g, outer, c, inner, func(_ int, _, g float32) float64 { return float64(g) })
	sumGX := channelSums(x, g, outer, c, inner, func(ch int, x, g float32) float64 {
		return float64(g) * float64((x-mean[ch])*inv[ch])
	})
	outs := []*simplego.Buffer{newOutput(backend, shape), newOutput(backend, nodeShape(nodeMultiOutputs(node)[1])),
		newOutput(backend, nodeShape(nodeMultiOutputs(node)[2]))}
	gScale, gOffset := f32(backend, outs[1]), f32(backend, outs[2])
	k, mg, mgx := make([]float32, c), make([]float32, c), make([]float32, c)
	for ch := range c {
		gOffset[ch] = float32(sumG[ch])
		gScale[ch] = float32(sumGX[ch])
		k[ch] = scale[ch] * inv[ch]
		mg[ch] = gOffset[ch] / n
		mgx[ch] = gScale[ch] / n
	}
	channelMap(f32(backend, outs[0]), x, g, outer, c, inner, func(ch int, x, g float32) float32 {
		xh := (x - mean[ch]) * inv[ch]
		return k[ch] * (g - mg[ch] - xh*mgx[ch])
	})
	return outs, nil
}
