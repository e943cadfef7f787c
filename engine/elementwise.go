package engine

import (
	"math"
	"slices"
	"unsafe"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Contiguous float32 paths for the element-wise, broadcast and reduction ops that batch norm,
// ReLU, the Gumbel mixture, masks and the optimizers use. simplego's generic versions walk
// broadcasts and reductions with per-element iterators; these loop over contiguous runs. Every
// other dtype (and any layout these do not cover) goes to simplego's executor, captured from its
// table before being replaced.

var stockExecutors [backends.OpTypeLast]executor

// compareFns are the float32 comparisons with engine kernels (alone, and fused into Where).
var compareFns = map[backends.OpType]func(a, b float32) bool{
	backends.OpTypeGreaterOrEqual: func(a, b float32) bool { return a >= b },
	backends.OpTypeGreaterThan:    func(a, b float32) bool { return a > b },
	backends.OpTypeLessOrEqual:    func(a, b float32) bool { return a <= b },
	backends.OpTypeLessThan:       func(a, b float32) bool { return a < b },
}

func init() {
	arith := map[backends.OpType]func(a, b float32) float32{
		backends.OpTypeAdd: func(a, b float32) float32 { return a + b },
		backends.OpTypeSub: func(a, b float32) float32 { return a - b },
		backends.OpTypeMul: func(a, b float32) float32 { return a * b },
		backends.OpTypeDiv: func(a, b float32) float32 { return a / b },
		backends.OpTypeMax: func(a, b float32) float32 { return max(a, b) },
		backends.OpTypeMin: func(a, b float32) float32 { return min(a, b) },
	}
	for op, fn := range arith {
		registerBinary(op, fn)
	}
	for op, fn := range compareFns {
		registerCompare(op, fn)
	}
	replace(backends.OpTypeWhere, execWhere)
	replace(backends.OpTypeReduceSum, execReduce)
	replace(backends.OpTypeReduceMax, execReduce)
	replace(backends.OpTypeBroadcastInDim, execBroadcastInDim)
}

// replace installs fn for op, keeping simplego's executor as the fallback.
func replace(op backends.OpType, fn executor) {
	stockExecutors[op] = sgNodeExecutors[op]
	sgSetNodeExecutor(op, priorityUser, fn)
}

// broadcastStrides returns, for an operand of shape s broadcast to out (same rank, or a scalar),
// its element stride along each output axis (0 where it is broadcast).
func broadcastStrides(s shapes.Shape, out []int) ([]int, bool) {
	st := make([]int, len(out))
	if s.Size() == 1 {
		return st, true
	}
	if s.Rank() != len(out) {
		return nil, false
	}
	rs := rowMajorStrides(s.Dimensions)
	for a, d := range s.Dimensions {
		switch d {
		case out[a]:
			st[a] = rs[a]
		case 1:
		default:
			return nil, false
		}
	}
	return st, true
}

// forRuns calls body for every run along the last output axis, in parallel over runs: dst offset
// and the start offsets of up to three broadcast operands, with their last-axis strides. body must
// not modify offs.
func forRuns(out []int, st [][]int, body func(dOff int, offs []int, n int)) {
	r := len(out)
	if r == 0 {
		body(0, make([]int, len(st)), 1)
		return
	}
	n := out[r-1]
	rows := 1
	for _, d := range out[:r-1] {
		rows *= d
	}
	if n == 0 || rows == 0 {
		return
	}
	parallelFor(rows, max(1, 8192/n), func(lo, hi int) {
		// The first row's coordinates are divided out; later rows advance them like an odometer
		// (runs are often one channel vector long, where divisions per run would dominate).
		offs := make([]int, len(st))
		coord := make([]int, r-1)
		rem := lo
		for a := r - 2; a >= 0; a-- {
			coord[a] = rem % out[a]
			rem /= out[a]
			for i := range st {
				offs[i] += coord[a] * st[i][a]
			}
		}
		for row := lo; row < hi; row++ {
			body(row*n, offs, n)
			for a := r - 2; a >= 0; a-- {
				coord[a]++
				for i := range st {
					offs[i] += st[i][a]
				}
				if coord[a] < out[a] {
					break
				}
				coord[a] = 0
				for i := range st {
					offs[i] -= out[a] * st[i][a]
				}
			}
		}
	})
}

func registerBinary(op backends.OpType, fn func(a, b float32) float32) {
	stockExecutors[op] = sgNodeExecutors[op]
	stock := stockExecutors[op]
	sgSetNodeExecutor(op, priorityUser, func(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, owned []bool) (*simplego.Buffer, error) {
		outShape := nodeShape(node)
		ls, rs := bufShape(backend, inputs[0]), bufShape(backend, inputs[1])
		if outShape.DType != dtypes.Float32 {
			return stock(backend, node, inputs, owned)
		}
		sl, ok1 := broadcastStrides(ls, outShape.Dimensions)
		sr, ok2 := broadcastStrides(rs, outShape.Dimensions)
		if !ok1 || !ok2 {
			return stock(backend, node, inputs, owned)
		}
		l, r := f32(backend, inputs[0]), f32(backend, inputs[1])
		var out *simplego.Buffer
		switch {
		case owned[0] && ls.Equal(outShape):
			out, inputs[0] = inputs[0], nil
		case owned[1] && rs.Equal(outShape):
			out, inputs[1] = inputs[1], nil
		default:
			out = newOutput(backend, outShape)
		}
		o := f32(backend, out)
		binaryLoop(op, fn, o, l, r, ls.Equal(outShape), rs.Equal(outShape), outShape.Dimensions, sl, sr)
		return out, nil
	})
}

// binaryLoop fills o = fn(l, r) with the common cases unrolled by op so the compiler inlines them.
func binaryLoop(op backends.OpType, fn func(a, b float32) float32, o, l, r []float32, lFull, rFull bool, dims, sl, sr []int) {
	switch {
	case lFull && rFull:
		parallelFor(len(o), 16384, func(lo, hi int) { applyVV(op, fn, o[lo:hi], l[lo:hi], r[lo:hi]) })
	case lFull && len(r) == 1:
		parallelFor(len(o), 16384, func(lo, hi int) { applyVS(op, fn, o[lo:hi], l[lo:hi], r[0], false) })
	case rFull && len(l) == 1:
		parallelFor(len(o), 16384, func(lo, hi int) { applyVS(op, fn, o[lo:hi], r[lo:hi], l[0], true) })
	default:
		last := len(dims) - 1
		forRuns(dims, [][]int{sl, sr}, func(d int, offs []int, n int) {
			dst := o[d : d+n]
			ls, rs := 0, 0
			if last >= 0 {
				ls, rs = sl[last], sr[last]
			}
			switch {
			case ls == 1 && rs == 1:
				applyVV(op, fn, dst, l[offs[0]:offs[0]+n], r[offs[1]:offs[1]+n])
			case ls == 1 && rs == 0:
				applyVS(op, fn, dst, l[offs[0]:offs[0]+n], r[offs[1]], false)
			case ls == 0 && rs == 1:
				applyVS(op, fn, dst, r[offs[1]:offs[1]+n], l[offs[0]], true)
			default:
				for i := range dst {
					dst[i] = fn(l[offs[0]+i*ls], r[offs[1]+i*rs])
				}
			}
		})
	}
}

func applyVV(op backends.OpType, fn func(a, b float32) float32, o, l, r []float32) {
	l, r = l[:len(o)], r[:len(o)]
	if vvSIMD(op, o, l, r) {
		return
	}
	switch op {
	case backends.OpTypeAdd:
		for i := range o {
			o[i] = l[i] + r[i]
		}
	case backends.OpTypeSub:
		for i := range o {
			o[i] = l[i] - r[i]
		}
	case backends.OpTypeMul:
		for i := range o {
			o[i] = l[i] * r[i]
		}
	case backends.OpTypeDiv:
		for i := range o {
			o[i] = l[i] / r[i]
		}
	case backends.OpTypeMax:
		for i := range o {
			o[i] = max(l[i], r[i]) // branch-free; NaN propagates
		}
	case backends.OpTypeMin:
		for i := range o {
			o[i] = min(l[i], r[i])
		}
	default:
		for i := range o {
			o[i] = fn(l[i], r[i])
		}
	}
}

// applyVS computes o = fn(v, s), or fn(s, v) when swapped.
func applyVS(op backends.OpType, fn func(a, b float32) float32, o, v []float32, s float32, swapped bool) {
	v = v[:len(o)]
	if vsSIMD(op, o, v, s, swapped) {
		return
	}
	switch {
	case op == backends.OpTypeAdd:
		for i := range o {
			o[i] = v[i] + s
		}
	case op == backends.OpTypeMul:
		for i := range o {
			o[i] = v[i] * s
		}
	case op == backends.OpTypeSub && !swapped:
		for i := range o {
			o[i] = v[i] - s
		}
	case op == backends.OpTypeMax:
		k := maxVSSIMD(o, v, s)
		o, v := o[k:], v[k:len(o)]
		for i := range o {
			o[i] = max(v[i], s) // branch-free (ReLU's data is half positive: branches mispredict)
		}
	case op == backends.OpTypeMin:
		for i := range o {
			o[i] = min(v[i], s)
		}
	case swapped:
		for i := range o {
			o[i] = fn(s, v[i])
		}
	default:
		for i := range o {
			o[i] = fn(v[i], s)
		}
	}
}

func registerCompare(op backends.OpType, fn func(a, b float32) bool) {
	stockExecutors[op] = sgNodeExecutors[op]
	stock := stockExecutors[op]
	sgSetNodeExecutor(op, priorityUser, func(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, owned []bool) (*simplego.Buffer, error) {
		outShape := nodeShape(node)
		ls, rs := bufShape(backend, inputs[0]), bufShape(backend, inputs[1])
		if ls.DType != dtypes.Float32 || outShape.DType != dtypes.Bool {
			return stock(backend, node, inputs, owned)
		}
		sl, ok1 := broadcastStrides(ls, outShape.Dimensions)
		sr, ok2 := broadcastStrides(rs, outShape.Dimensions)
		if !ok1 || !ok2 {
			return stock(backend, node, inputs, owned)
		}
		l, r := f32(backend, inputs[0]), f32(backend, inputs[1])
		out := newOutput(backend, outShape)
		flat, _ := backend.BufferData(out)
		o := flat.([]bool)
		last := len(outShape.Dimensions) - 1
		forRuns(outShape.Dimensions, [][]int{sl, sr}, func(d int, offs []int, n int) {
			ls, rs := 0, 0
			if last >= 0 {
				ls, rs = sl[last], sr[last]
			}
			dst := o[d : d+n]
			if ls == 1 && rs == 1 {
				compareVV(op, fn, dst, l[offs[0]:offs[0]+n], r[offs[1]:offs[1]+n])
				return
			}
			if ls == 1 && rs == 0 {
				compareVS(op, fn, dst, l[offs[0]:offs[0]+n], r[offs[1]])
				return
			}
			for i := range dst {
				dst[i] = fn(l[offs[0]+i*ls], r[offs[1]+i*rs])
			}
		})
		return out, nil
	})
}

// execWhere: condition bool (full or scalar), branches float32 (full or scalar).
func execWhere(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, owned []bool) (*simplego.Buffer, error) {
	if p, ok := nodeData(node).(*compareSelect); ok {
		return execCompareSelect(backend, node, p, inputs, owned), nil
	}
	outShape := nodeShape(node)
	cs, ts, fs := bufShape(backend, inputs[0]), bufShape(backend, inputs[1]), bufShape(backend, inputs[2])
	full := func(s shapes.Shape) bool { return slices.Equal(s.Dimensions, outShape.Dimensions) } // any dtype
	if outShape.DType != dtypes.Float32 || cs.DType != dtypes.Bool || !(full(cs) || cs.Size() == 1) ||
		!(full(ts) || ts.Size() == 1) || !(full(fs) || fs.Size() == 1) {
		return stockExecutors[backends.OpTypeWhere](backend, node, inputs, owned)
	}
	cf, _ := backend.BufferData(inputs[0])
	cond := cf.([]bool)
	t, f := f32(backend, inputs[1]), f32(backend, inputs[2])
	var out *simplego.Buffer
	switch {
	case owned[1] && full(ts):
		out, inputs[1] = inputs[1], nil
	case owned[2] && full(fs):
		out, inputs[2] = inputs[2], nil
	default:
		out = newOutput(backend, outShape)
	}
	o := f32(backend, out)
	tStep, fStep, cStep := 1, 1, 1
	if ts.Size() == 1 && !full(ts) {
		tStep = 0
	}
	if fs.Size() == 1 && !full(fs) {
		fStep = 0
	}
	if cs.Size() == 1 && !full(cs) {
		cStep = 0
	}
	// Branch-free select on the bit patterns: the condition of a ReLU gradient is a coin flip per
	// element, which a branch mispredicts half the time.
	cb := unsafe.Slice((*uint8)(unsafe.Pointer(unsafe.SliceData(cond))), len(cond))
	ob := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(o))), len(o))
	tb := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(t))), len(t))
	fb := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(f))), len(f))
	parallelFor(len(o), 16384, func(lo, hi int) {
		if cStep == 1 && tStep == 1 && fStep == 1 {
			c, tt, ff, oo := cb[lo:hi], tb[lo:hi], fb[lo:hi], ob[lo:hi]
			for i := range oo {
				m := -uint32(c[i] & 1)
				oo[i] = tt[i]&m | ff[i]&^m
			}
			return
		}
		for i := lo; i < hi; i++ {
			m := -uint32(cb[i*cStep] & 1)
			ob[i] = tb[i*tStep]&m | fb[i*fStep]&^m
		}
	})
	return out, nil
}

// execReduce sums (or maxes) float32 over any set of axes: consecutive axes of the same kind
// (reduced or kept) are merged, then the innermost group is either a contiguous run added into
// the output run (kept) or folded to one value (reduced). Sums accumulate in float64, in per-thread
// partials over the outermost group.
func execReduce(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, owned []bool) (*simplego.Buffer, error) {
	opType := nodeOpType(node)
	axes, ok := nodeData(node).([]int)
	inShape := bufShape(backend, inputs[0])
	outShape := nodeShape(node)
	if outShape.DType != dtypes.Float32 || !ok {
		return stockExecutors[opType](backend, node, inputs, owned)
	}
	isMax := opType == backends.OpTypeReduceMax
	reduced := make([]bool, inShape.Rank())
	for _, a := range axes {
		if a < 0 {
			a += inShape.Rank()
		}
		reduced[a] = true
	}
	var gDims []int
	var gRed []bool
	anyReduced := false
	for a, d := range inShape.Dimensions {
		if d == 1 {
			continue
		}
		anyReduced = anyReduced || reduced[a]
		if len(gDims) > 0 && gRed[len(gRed)-1] == reduced[a] {
			gDims[len(gDims)-1] *= d
			continue
		}
		gDims = append(gDims, d)
		gRed = append(gRed, reduced[a])
	}
	in := f32(backend, inputs[0])
	out := newOutput(backend, outShape)
	o := f32(backend, out)
	if !anyReduced || len(in) == 0 {
		copy(o, in)
		if len(in) == 0 {
			fill := float32(0)
			if isMax {
				fill = float32(math.Inf(-1))
			}
			for i := range o {
				o[i] = fill
			}
		}
		return out, nil
	}
	ng := len(gDims)
	inSt := rowMajorStrides(gDims)
	var outDims []int
	for i, d := range gDims {
		if !gRed[i] {
			outDims = append(outDims, d)
		}
	}
	outSt := rowMajorStrides(outDims)
	gOutSt := make([]int, ng)
	k := 0
	for i := range gDims {
		if !gRed[i] {
			gOutSt[i] = outSt[k]
			k++
		}
	}
	init := 0.0
	if isMax {
		init = math.Inf(-1)
	}
	total := make([]float64, len(o))
	for i := range total {
		total[i] = init
	}
	parts := make([][]float64, Threads())
	nParts := parallelChunks(gDims[0], max(1, 4096/max(inSt[0], 1)), len(parts), func(chunk, lo, hi int) {
		acc := make([]float64, len(o))
		parts[chunk] = acc
		for i := range acc {
			acc[i] = init
		}
		var rec func(g, iOff, oOff int)
		rec = func(g, iOff, oOff int) {
			if g < ng-1 {
				for i := 0; i < gDims[g]; i++ {
					rec(g+1, iOff+i*inSt[g], oOff+i*gOutSt[g])
				}
				return
			}
			n := gDims[g]
			src := in[iOff : iOff+n]
			switch {
			case gRed[g] && isMax:
				m := acc[oOff]
				for _, v := range src {
					m = math.Max(m, float64(v))
				}
				acc[oOff] = m
			case gRed[g]:
				acc[oOff] += sum64(src)
			case isMax:
				dst := acc[oOff : oOff+n]
				for i, v := range src {
					dst[i] = math.Max(dst[i], float64(v))
				}
			default:
				dst := acc[oOff : oOff+n]
				for i, v := range src {
					dst[i] += float64(v)
				}
			}
		}
		if ng == 1 { // one reduced group: fold this chunk of it
			if isMax {
				for _, v := range in[lo:hi] {
					acc[0] = math.Max(acc[0], float64(v))
				}
			} else {
				acc[0] += sum64(in[lo:hi])
			}
		}
		for i := lo; i < hi && ng > 1; i++ {
			rec(1, i*inSt[0], i*gOutSt[0])
		}
	})
	for _, acc := range parts[:nParts] {
		for i, v := range acc {
			if isMax {
				total[i] = math.Max(total[i], v)
			} else {
				total[i] += v
			}
		}
	}
	for i, v := range total {
		o[i] = float32(v)
	}
	return out, nil
}

// execBroadcastInDim: the operand's axes map to broadcastAxes of the output; every other output
// axis repeats it.
func execBroadcastInDim(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, owned []bool) (*simplego.Buffer, error) {
	outShape := nodeShape(node)
	axes, ok := nodeData(node).([]int)
	inShape := bufShape(backend, inputs[0])
	if outShape.DType != dtypes.Float32 || !ok {
		return stockExecutors[backends.OpTypeBroadcastInDim](backend, node, inputs, owned)
	}
	in := f32(backend, inputs[0])
	out := newOutput(backend, outShape)
	o := f32(backend, out)
	if inShape.Size() == 1 {
		v := in[0]
		parallelFor(len(o), 16384, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				o[i] = v
			}
		})
		return out, nil
	}
	st := make([]int, outShape.Rank())
	rs := rowMajorStrides(inShape.Dimensions)
	for i, a := range axes {
		if inShape.Dimensions[i] != 1 {
			st[a] = rs[i]
		}
	}
	last := outShape.Rank() - 1
	forRuns(outShape.Dimensions, [][]int{st}, func(d int, offs []int, n int) {
		dst := o[d : d+n]
		if st[last] == 1 {
			copy(dst, in[offs[0]:offs[0]+n])
			return
		}
		s := st[last]
		for i := range dst {
			dst[i] = in[offs[0]+i*s]
		}
	})
	return out, nil
}

func compareVV(op backends.OpType, fn func(a, b float32) bool, o []bool, l, r []float32) {
	l, r = l[:len(o)], r[:len(o)]
	switch op {
	case backends.OpTypeGreaterOrEqual:
		for i := range o {
			o[i] = l[i] >= r[i]
		}
	case backends.OpTypeLessOrEqual:
		for i := range o {
			o[i] = l[i] <= r[i]
		}
	default:
		for i := range o {
			o[i] = fn(l[i], r[i])
		}
	}
}

func compareVS(op backends.OpType, fn func(a, b float32) bool, o []bool, l []float32, s float32) {
	l = l[:len(o)]
	switch op {
	case backends.OpTypeGreaterOrEqual:
		for i := range o {
			o[i] = l[i] >= s
		}
	case backends.OpTypeLessOrEqual:
		for i := range o {
			o[i] = l[i] <= s
		}
	default:
		for i := range o {
			o[i] = fn(l[i], s)
		}
	}
}

// sum64 adds a run in float64 with four independent accumulators (one would wait on the
// previous add's latency every element).
func sum64(v []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		s0 += float64(v[i])
		s1 += float64(v[i+1])
		s2 += float64(v[i+2])
		s3 += float64(v[i+3])
	}
	for ; i < len(v); i++ {
		s0 += float64(v[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// execCompareSelect runs a Where fused with its comparison (builder.Where): inputs l, r, onTrue,
// onFalse, each float32 and either full or a single element; out = l cmp r ? onTrue : onFalse,
// in one pass and without the boolean tensor. It selects bit patterns, so the result is the
// same bits as the two ops.
func execCompareSelect(backend *simplego.Backend, node *simplego.Node, p *compareSelect, inputs []*simplego.Buffer, owned []bool) *simplego.Buffer {
	outShape := nodeShape(node)
	size := outShape.Size()
	var out *simplego.Buffer
	for _, k := range []int{2, 3, 0, 1} { // reuse an input that is full and ours, the branches first
		if owned[k] && bufShape(backend, inputs[k]).Size() == size {
			out, inputs[k] = inputs[k], nil
			break
		}
	}
	if out == nil {
		out = newOutput(backend, outShape)
	}
	o := f32(backend, out)
	var operands [4][]uint32
	var steps [4]int
	for k := range 4 {
		buf := inputs[k]
		if buf == nil {
			buf = out
		}
		v := f32(backend, buf)
		operands[k] = unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(v))), len(v))
		if len(v) == size {
			steps[k] = 1
		}
	}
	ob := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(o))), len(o))
	lb, rb, tb, fb := operands[0], operands[1], operands[2], operands[3]
	ls, rs, ts, fs := steps[0], steps[1], steps[2], steps[3]
	bitsF := func(u uint32) float32 { return math.Float32frombits(u) }
	parallelFor(size, 16384, func(lo, hi int) {
		// The ReLU gradient: x ≥ 0 ? v : 0. The mask is set without a branch (the compiler emits
		// a conditional move): the condition is a coin flip per element.
		if p.op == backends.OpTypeGreaterOrEqual && ls == 1 && rs == 0 && ts == 1 && fs == 0 {
			r, f := bitsF(rb[0]), fb[0]
			l, t, oo := lb[lo:hi], tb[lo:hi], ob[lo:hi]
			l, t = l[:len(oo)], t[:len(oo)]
			k := selectGESIMD(f32s(oo), f32s(l), f32s(t), r, bitsF(f))
			l, t, oo = l[k:], t[k:], oo[k:]
			for i := range oo {
				var m uint32
				if bitsF(l[i]) >= r {
					m = ^uint32(0)
				}
				oo[i] = t[i]&m | f&^m
			}
			return
		}
		for i := lo; i < hi; i++ {
			var m uint32
			if p.cmp(bitsF(lb[i*ls]), bitsF(rb[i*rs])) {
				m = ^uint32(0)
			}
			ob[i] = tb[i*ts]&m | fb[i*fs]&^m
		}
	})
	return out
}

// f32s views bit patterns as float32s.
func f32s(u []uint32) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(u))), len(u))
}
