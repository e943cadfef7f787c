package engine

import (
	"slices"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
)

func init() {
	sgSetNodeExecutor(backends.OpTypeConvGeneral, priorityUser, execConv)
}

// colBudget is the most float32 elements one im2col chunk holds (1 MiB): the chunk stays in the
// L2 cache between being gathered and being multiplied (16 MiB chunks ran the convolution slower),
// and is still hundreds of rows, enough for sgemm to run at full speed.
const colBudget = 262144

// convPlan is a ConvGeneral brought to canonical layouts: input [IB, IS..., IC], kernel
// [KS..., KI, KO], output [OB, OS..., OC].
type convPlan struct {
	p               *convParams
	n               int // spatial rank
	ib, ic, ob, oc  int
	ki, ko          int
	is, ks, os      []int
	permIn, permK   []int
	permOutInv      []int // canonical output -> real layout
	groups, bgroups int
	tabs            [][]int // per spatial axis: [o·ks+k] -> input index or -1
	kpos, opos      int     // kernel / output spatial positions
	kcoords         [][]int // kernel position -> per-axis index
	// tap, when not nil, is the layout of the tap convolution that runs this convolution (or its
	// kernel gradient) without im2col; see tapconv.go.
	tap *tapGeometry
}

func newConvPlan(p *convParams) *convPlan {
	ax := p.axes
	n := len(ax.InputSpatial)
	c := &convPlan{p: p, n: n, groups: p.channelGroupCount, bgroups: p.batchGroupCount}
	id, kd, od := p.inputShape.Dimensions, p.kernelShape.Dimensions, p.outputShape.Dimensions
	c.permIn = append(append([]int{ax.InputBatch}, ax.InputSpatial...), ax.InputChannels)
	c.permK = append(append([]int{}, ax.KernelSpatial...), ax.KernelInputChannels, ax.KernelOutputChannels)
	permOut := append(append([]int{ax.OutputBatch}, ax.OutputSpatial...), ax.OutputChannels)
	c.permOutInv = make([]int, len(permOut))
	for i, a := range permOut {
		c.permOutInv[a] = i
	}
	c.ib, c.ic = id[ax.InputBatch], id[ax.InputChannels]
	c.ob, c.oc = od[ax.OutputBatch], od[ax.OutputChannels]
	c.ki, c.ko = kd[ax.KernelInputChannels], kd[ax.KernelOutputChannels]
	c.kpos, c.opos = 1, 1
	for d := range n {
		c.is = append(c.is, id[ax.InputSpatial[d]])
		c.ks = append(c.ks, kd[ax.KernelSpatial[d]])
		c.os = append(c.os, od[ax.OutputSpatial[d]])
		c.kpos *= c.ks[d]
		c.opos *= c.os[d]
	}
	c.tabs = make([][]int, n)
	for d := range n {
		t := make([]int, c.os[d]*c.ks[d])
		for o := range c.os[d] {
			for k := range c.ks[d] {
				pos := o*p.strides[d] - p.paddings[d][0] + k*p.kernelDilations[d]
				idx := -1
				if pos >= 0 && pos%p.inputDilations[d] == 0 && pos/p.inputDilations[d] < c.is[d] {
					idx = pos / p.inputDilations[d]
				}
				t[o*c.ks[d]+k] = idx
			}
		}
		c.tabs[d] = t
	}
	kc := make([]int, n)
	for range c.kpos {
		c.kcoords = append(c.kcoords, append([]int(nil), kc...))
		for d := n - 1; d >= 0; d-- {
			kc[d]++
			if kc[d] < c.ks[d] {
				break
			}
			kc[d] = 0
		}
	}
	if c.isKernelGradient() {
		c.tap = c.tapKernelGradientGeometry()
	} else {
		c.tap = c.tapConvGeometry()
	}
	return c
}

// isDepthwise: one input channel per group, one output channel per group.
func (c *convPlan) isDepthwise() bool {
	return c.groups > 1 && c.groups == c.ic && c.ki == 1 && c.oc == c.groups && c.bgroups == 1
}

// isPointwise: a 1×1 convolution that is a plain matrix product of the canonical input.
func (c *convPlan) isPointwise() bool {
	if c.groups != 1 || c.bgroups != 1 || c.kpos != 1 {
		return false
	}
	for d := range c.n {
		if c.is[d] != c.os[d] || c.p.strides[d] != 1 || c.p.paddings[d] != [2]int{} || c.p.inputDilations[d] != 1 {
			return false
		}
	}
	return true
}

// execConv runs a float32 engine ConvGeneral: canonicalize layouts (transposes skipped when
// already canonical), then a direct kernel for depthwise, a plain sgemm for 1×1, or chunked
// im2col + sgemm for everything else, and transpose the result back if needed.
func execConv(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, inputsOwned []bool) (*simplego.Buffer, error) {
	p, ok := nodeData(node).(*convParams)
	if !ok || (p.channelGroupCount > 1 && p.batchGroupCount > 1) {
		return sgExecConvGeneral(backend, node, inputs, inputsOwned)
	}
	p.planOnce.Do(func() { p.plan = newConvPlan(p) })
	c := p.plan
	in, ker := f32(backend, inputs[0]), f32(backend, inputs[1])
	if c.isKernelGradient() {
		var start time.Time
		if profileOn.Load() {
			start = time.Now()
		}
		out := newOutput(backend, p.outputShape)
		kind := "kernel gradient, gemm"
		switch {
		case c.bgroups > 1 && c.tap != nil:
			kind = "kernel gradient, depthwise taps"
			c.tapDepthwiseKernelGradient(f32(backend, out), in, ker)
		case c.bgroups > 1:
			kind = "kernel gradient, depthwise"
			c.depthwiseKernelGradient(f32(backend, out), in, ker)
		case c.tap != nil:
			kind = "kernel gradient, taps"
			c.tapKernelGradient(f32(backend, out), in, ker)
		default:
			c.kernelGradientGemm(f32(backend, out), in, ker)
		}
		if profileOn.Load() {
			recordOp("ConvGeneral["+kind+"]", time.Since(start))
		}
		return out, nil
	}
	if !isIdentity(c.permIn) {
		t := getScratch(len(in))
		defer putScratch(t)
		transposeF32(t, in, p.inputShape.Dimensions, c.permIn)
		in = t
	}
	if !isIdentity(c.permK) {
		t := getScratch(len(ker))
		defer putScratch(t)
		transposeF32(t, ker, p.kernelShape.Dimensions, c.permK)
		ker = t
	}
	out := newOutput(backend, p.outputShape)
	o := f32(backend, out)
	canon := o
	if !isIdentity(c.permOutInv) {
		canon = getScratch(len(o))
		defer putScratch(canon)
	}
	var start time.Time
	if profileOn.Load() {
		start = time.Now()
	}
	kind := "im2col"
	switch {
	case len(canon) == 0:
	case c.isDepthwise() && c.tap != nil:
		kind = "depthwise, taps"
		c.tapDepthwiseConv(canon, in, ker)
	case c.isDepthwise():
		kind = "depthwise"
		c.depthwise(canon, in, ker)
	case c.tap != nil:
		kind = "taps"
		c.tapConv(canon, in, ker)
	case c.isPointwise():
		kind = "1x1"
		sgemm(false, false, c.ib*c.opos, c.oc, c.ic, 1, in, c.ic, ker, c.ko, 0, canon, c.oc)
	default:
		c.im2colGemm(canon, in, ker)
	}
	if profileOn.Load() {
		if p.batchGroupCount > 1 || !isIdentity(c.permIn) {
			kind += ", kernel gradient"
		}
		recordOp("ConvGeneral["+kind+"]", time.Since(start))
	}
	if !isIdentity(c.permOutInv) {
		canonDims := make([]int, len(c.permOutInv))
		canonDims[0] = c.ob
		copy(canonDims[1:], c.os)
		canonDims[len(canonDims)-1] = c.oc
		transposeF32(o, canon, canonDims, c.permOutInv)
	}
	return out, nil
}

// rowBase splits output row r = (ob, output position) into its batch index (returned) and the
// per-axis output coordinates (written to oc).
func (c *convPlan) rowBase(r int, oc []int) (ob int) {
	rem := r
	for d := c.n - 1; d >= 0; d-- {
		oc[d] = rem % c.os[d]
		rem /= c.os[d]
	}
	return rem
}

// tapOffset returns the canonical input offset of the first channel of kernel position kp's tap
// for input batch ib and output coordinates oc, or -1 when the tap falls in padding or between
// dilated input elements.
func (c *convPlan) tapOffset(ib int, oc []int, kp int) int {
	off := ib
	kc := c.kcoords[kp]
	for d := range c.n {
		i := c.tabs[d][oc[d]*c.ks[d]+kc[d]]
		if i < 0 {
			return -1
		}
		off = off*c.is[d] + i
	}
	return off * c.ic
}

// depthwise computes out[b, o, ch] = Σ_k in[b, tap(o, k), ch] · ker[k, 0, ch] directly: no
// im2col, contiguous over channels.
func (c *convPlan) depthwise(out, in, ker []float32) {
	C := c.ic
	if c.n == 2 {
		c.depthwise2D(out, in, ker)
		return
	}
	rows := c.ob * c.opos
	parallelFor(rows, 64, func(lo, hi int) {
		oc := make([]int, c.n)
		for r := lo; r < hi; r++ {
			ob := c.rowBase(r, oc)
			dst := out[r*C : (r+1)*C]
			clear(dst)
			for kp := 0; kp < c.kpos; kp++ {
				off := c.tapOffset(ob, oc, kp)
				if off < 0 {
					continue
				}
				fmaVec(dst, in[off:off+C], ker[kp*C:(kp+1)*C])
			}
		}
	})
}

// im2colGemm computes the convolution group by group as sgemm of gathered input taps
// (rows: output positions; columns: kernel position × input channel of the group) by the
// kernel, in chunks of rows and, when a row alone is huge (weight gradients contract over whole
// images), of kernel positions accumulated with beta=1. The threads split the chunks (whole images
// or runs of output rows) between them, each gathering into its own cache-sized buffer and running
// single-threaded sgemms: no thread waits for another until the convolution is done.
func (c *convPlan) im2colGemm(out, in, ker []float32) {
	ngroups := c.groups * c.bgroups
	fg := c.oc / ngroups
	rows := c.ob * c.opos
	kdim := c.kpos * c.ki
	rowsPer := max(1, colBudget/max(kdim, 1))
	kpPer := c.kpos
	if rowsPer < 64 {
		rowsPer = min(rows, 256)
		kpPer = max(1, colBudget/(rowsPer*c.ki))
	}
	t := Threads()
	nChunks, rowsPer := evenChunks(rows, rowsPer, 64, t)
	gemm := sgemmSerial
	if ngroups*nChunks < t {
		gemm = sgemm // too few chunks to share: split each product instead
	}
	parallelFor(ngroups*nChunks, 1, func(lo, hi int) {
		col := getScratch(min(rowsPer, rows) * min(kpPer, c.kpos) * c.ki)
		defer putScratch(col)
		for task := lo; task < hi; task++ {
			g, chunk := task/nChunks, task%nChunks
			ciOff, bOff := 0, 0
			if c.groups > 1 {
				ciOff = g * c.ki
			} else {
				bOff = g * c.ob
			}
			fOff := g * fg
			r0 := chunk * rowsPer
			r1 := min(rows, r0+rowsPer)
			for k0 := 0; k0 < c.kpos; k0 += kpPer {
				k1 := min(c.kpos, k0+kpPer)
				width := (k1 - k0) * c.ki
				c.fillCols(col, in, r0, r1, k0, k1, ciOff, bOff)
				beta := float32(1)
				if k0 == 0 {
					beta = 0
				}
				gemm(false, false, r1-r0, fg, width, 1, col, width, ker[k0*c.ki*c.ko+fOff:], c.ko,
					beta, out[r0*c.oc+fOff:], c.oc)
			}
		}
	})
}

// fillCols gathers rows [r0, r1) and kernel positions [k0, k1) of the im2col matrix.
func (c *convPlan) fillCols(col, in []float32, r0, r1, k0, k1, ciOff, bOff int) {
	width := (k1 - k0) * c.ki
	ki := c.ki
	if c.n == 2 && k0 == 0 && k1 == c.kpos && ki == c.ic && c.p.inputDilations[1] == 1 {
		c.fillCols2D(col, in, r0, r1, bOff)
		return
	}
	oc := make([]int, c.n)
	for r := r0; r < r1; r++ {
		ob := c.rowBase(r, oc)
		dst := col[(r-r0)*width : (r-r0+1)*width]
		for kp := k0; kp < k1; kp++ {
			d := dst[(kp-k0)*ki : (kp-k0+1)*ki]
			off := c.tapOffset(bOff+ob, oc, kp)
			if off < 0 {
				clear(d)
				continue
			}
			copy(d, in[off+ciOff:off+ciOff+ki])
		}
	}
}

// isKernelGradient recognizes the convolution the engine's VJP builds for a kernel gradient,
// dK[k, ci, f] = Σ_{b,o} x[b, o·s−pad+k·d, ci]·v[b, o, f], by its memory layouts: the input is
// [IC, IS..., IB] (x, with its batch as the conv's channels), the kernel [KI, KS..., KO] (v) and
// the output [OS..., OB, OC] (the original kernel). Either no groups, or one batch group per
// output channel with one input batch each (the depthwise case).
func (c *convPlan) isKernelGradient() bool {
	ax := c.p.axes
	n := c.n
	inPerm := append(append([]int{ax.InputChannels}, ax.InputSpatial...), ax.InputBatch)
	kPerm := append(append([]int{ax.KernelInputChannels}, ax.KernelSpatial...), ax.KernelOutputChannels)
	outPerm := append(append(slices.Clone(ax.OutputSpatial), ax.OutputBatch), ax.OutputChannels)
	if !isIdentity(inPerm) || !isIdentity(kPerm) || !isIdentity(outPerm) || len(inPerm) != n+2 {
		return false
	}
	for d := range n {
		if c.p.inputDilations[d] != 1 {
			return false
		}
	}
	switch {
	case c.groups == 1 && c.bgroups == 1:
		return true
	case c.groups == 1 && c.bgroups == c.oc && c.ob == 1 && c.bgroups == c.ib:
		return true
	}
	return false
}

// kernelGradientGemm computes dK as colᵀ·v: col has one row per (batch, output position) of the
// original convolution and one column per (kernel position, channel) — the forward im2col of x,
// gathered in contiguous channel runs — and v is read in place as a [(batch, position) × F]
// matrix. Chunks of rows accumulate into dK with beta=1. The threads split the rows (images)
// between them, each summing its share into its own copy of dK; the copies are added in thread
// order, so the result does not depend on timing.
func (c *convPlan) kernelGradientGemm(out, in, ker []float32) {
	// Conv terms: "batch" ob = original input channel, "channels" ci = original batch,
	// kernel positions q = original output positions, output positions p = original kernel taps.
	width := c.opos * c.ob // columns: (p, ob)
	rows := c.ic * c.kpos  // rows: (ci, q)
	t := Threads()
	nChunks, rowsPer := evenChunks(rows, max(1, colBudget/max(width, 1)), 64, t)
	if nChunks == 0 {
		clear(out) // an empty sum
		return
	}
	gemm := sgemmSerial
	if nChunks < t {
		gemm = sgemm
	}
	parts := make([][]float32, t)
	nParts := parallelChunks(nChunks, 1, t, func(part, lo, hi int) {
		acc := out
		if part > 0 {
			acc = getScratch(len(out))
			parts[part] = acc
		}
		col := getScratch(min(rowsPer, rows) * width)
		defer putScratch(col)
		for chunk := lo; chunk < hi; chunk++ {
			r0 := chunk * rowsPer
			r1 := min(rows, r0+rowsPer)
			c.fillWgradCols(col, in, r0, r1)
			beta := float32(1)
			if chunk == lo {
				beta = 0
			}
			gemm(true, false, width, c.oc, r1-r0, 1, col, width, ker[r0*c.ko:], c.ko, beta, acc, c.oc)
		}
	})
	for _, p := range parts[1:nParts] {
		addTo(out, p)
		putScratch(p)
	}
}

// addTo sets dst[i] += src[i], split over the threads when long.
func addTo(dst, src []float32) {
	parallelFor(len(dst), 16384, func(lo, hi int) {
		d, s := dst[lo:hi], src[lo:hi]
		for i := range d {
			d[i] += s[i]
		}
	})
}

// wgradTap returns the input offset (first of the ob run) of row (ci, q) at output position p,
// or -1 in padding.
func (c *convPlan) wgradTap(ci int, qc, pc []int) int {
	off := ci
	for d := range c.n {
		i := c.tabs[d][pc[d]*c.ks[d]+qc[d]]
		if i < 0 {
			return -1
		}
		off = off*c.is[d] + i
	}
	return off * c.ib
}

func (c *convPlan) fillWgradCols(col, in []float32, r0, r1 int) {
	width := c.opos * c.ob
	ob := c.ob
	if c.n == 2 {
		c.fillWgradCols2D(col, in, r0, r1)
		return
	}
	qc := make([]int, c.n)
	pc := make([]int, c.n)
	for r := r0; r < r1; r++ {
		ci, q := r/c.kpos, r%c.kpos
		copy(qc, c.kcoords[q])
		dst := col[(r-r0)*width : (r-r0+1)*width]
		for p := 0; p < c.opos; p++ {
			rem := p
			for d := c.n - 1; d >= 0; d-- {
				pc[d] = rem % c.os[d]
				rem /= c.os[d]
			}
			d := dst[p*ob : (p+1)*ob]
			off := c.wgradTap(ci, qc, pc)
			if off < 0 {
				clear(d)
				continue
			}
			copy(d, in[off:off+ob])
		}
	}
}

// depthwiseKernelGradient computes dK[p, c] = Σ_{b,q} x[b, tap(p, q), c]·v[b, q, c] directly,
// contiguous over channels, with per-thread partial sums.
func (c *convPlan) depthwiseKernelGradient(out, in, ker []float32) {
	C := c.ib // channels of x
	parts := make([][]float32, Threads())
	nParts := parallelChunks(c.ic, 1, len(parts), func(chunk, lo, hi int) {
		acc := make([]float32, c.opos*C)
		parts[chunk] = acc
		qc := make([]int, c.n)
		pc := make([]int, c.n)
		for b := lo; b < hi; b++ {
			for q := 0; q < c.kpos; q++ {
				copy(qc, c.kcoords[q])
				vrow := ker[(b*c.kpos+q)*C : (b*c.kpos+q+1)*C]
				for p := 0; p < c.opos; p++ {
					rem := p
					for d := c.n - 1; d >= 0; d-- {
						pc[d] = rem % c.os[d]
						rem /= c.os[d]
					}
					off := c.wgradTap(b, qc, pc)
					if off < 0 {
						continue
					}
					fmaVec(acc[p*C:(p+1)*C], in[off:off+C], vrow)
				}
			}
		}
	})
	clear(out)
	for _, acc := range parts[:nParts] {
		for i, v := range acc {
			out[i] += v
		}
	}
}

// depthwise2D is depthwise for images: one output row (b, oh) at a time, taps outermost so the
// inner loop is a plain multiply-add over channels.
func (c *convPlan) depthwise2D(out, in, ker []float32) {
	C := c.ic
	oh, ow := c.os[0], c.os[1]
	ih, iw := c.is[0], c.is[1]
	kh, kw := c.ks[0], c.ks[1]
	tabH, tabW := c.tabs[0], c.tabs[1]
	parallelFor(c.ob*oh, 4, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			b, y := r/oh, r%oh
			dstRow := out[r*ow*C : (r+1)*ow*C]
			clear(dstRow)
			for i := 0; i < kh; i++ {
				yi := tabH[y*kh+i]
				if yi < 0 {
					continue
				}
				srcRow := in[(b*ih+yi)*iw*C : (b*ih+yi+1)*iw*C]
				for j := 0; j < kw; j++ {
					w := ker[(i*kw+j)*C : (i*kw+j+1)*C]
					for x := 0; x < ow; x++ {
						xi := tabW[x*kw+j]
						if xi < 0 {
							continue
						}
						fmaVec(dstRow[x*C:x*C+C], srcRow[xi*C:xi*C+C], w)
					}
				}
			}
		}
	})
}

// fillCols2D is fillCols for images without channel groups or input dilation. Without kernel
// dilation along the width, the kw taps of one kernel row are one contiguous span of the input
// row (kw·C floats), copied at once with the parts in the padding zeroed; with it, tap by tap.
func (c *convPlan) fillCols2D(col, in []float32, r0, r1, bOff int) {
	C := c.ic
	kh, kw := c.ks[0], c.ks[1]
	ih, iw := c.is[0], c.is[1]
	oh, ow := c.os[0], c.os[1]
	sw, padW := c.p.strides[1], c.p.paddings[1][0]
	dW := c.p.kernelDilations[1]
	tabH := c.tabs[0]
	width := c.kpos * C
	span := kw * C
	for r := r0; r < r1; r++ {
		x := r % ow
		y := (r / ow) % oh
		b := r/(ow*oh) + bOff
		dst := col[(r-r0)*width : (r-r0+1)*width]
		x0 := x*sw - padW                     // input column of the kw=0 tap
		lo, hi := max(0, -x0), min(kw, iw-x0) // taps inside the row (dW = 1)
		for i := 0; i < kh; i++ {
			d := dst[i*span : (i+1)*span]
			yi := tabH[y*kh+i]
			if yi < 0 {
				clear(d)
				continue
			}
			if dW != 1 {
				rowBase := (b*ih + yi) * iw
				for j := 0; j < kw; j++ {
					xi := x0 + j*dW
					if xi < 0 || xi >= iw {
						clear(d[j*C : (j+1)*C])
						continue
					}
					copy(d[j*C:(j+1)*C], in[(rowBase+xi)*C:(rowBase+xi+1)*C])
				}
				continue
			}
			if lo >= hi {
				clear(d)
				continue
			}
			if lo > 0 {
				clear(d[:lo*C])
			}
			if hi < kw {
				clear(d[hi*C:])
			}
			base := ((b*ih+yi)*iw + x0 + lo) * C
			copy(d[lo*C:hi*C], in[base:base+(hi-lo)*C])
		}
	}
}

// fillWgradCols2D is fillWgradCols for images. When the original convolution has no dilation
// along the width (this convolution's stride 1 there) the kernel-column taps of one row are one
// contiguous span of x's row; otherwise they are copied tap by tap.
func (c *convPlan) fillWgradCols2D(col, in []float32, r0, r1 int) {
	sW := c.p.strides[1]       // the original kernel dilation
	ob := c.ob                 // channels of x
	ph, pw := c.os[0], c.os[1] // original kernel taps
	qh, qw := c.ks[0], c.ks[1] // original output positions
	ih, iw := c.is[0], c.is[1]
	tabH := c.tabs[0]
	width := c.opos * ob
	span := pw * ob
	dW, padW := c.p.kernelDilations[1], c.p.paddings[1][0]
	for r := r0; r < r1; r++ {
		b, q := r/c.kpos, r%c.kpos
		y, x := q/qw, q%qw
		dst := col[(r-r0)*width : (r-r0+1)*width]
		x0 := x*dW - padW // x column of tap pw=0
		lo, hi := max(0, -x0), min(pw, iw-x0)
		for i := 0; i < ph; i++ {
			d := dst[i*span : (i+1)*span]
			yi := tabH[i*qh+y]
			if yi < 0 {
				clear(d)
				continue
			}
			if sW != 1 {
				rowBase := (b*ih + yi) * iw
				for j := 0; j < pw; j++ {
					xi := x0 + j*sW
					if xi < 0 || xi >= iw {
						clear(d[j*ob : (j+1)*ob])
						continue
					}
					copy(d[j*ob:(j+1)*ob], in[(rowBase+xi)*ob:(rowBase+xi+1)*ob])
				}
				continue
			}
			if lo >= hi {
				clear(d)
				continue
			}
			if lo > 0 {
				clear(d[:lo*ob])
			}
			if hi < pw {
				clear(d[hi*ob:])
			}
			base := ((b*ih+yi)*iw + x0 + lo) * ob
			copy(d[lo*ob:hi*ob], in[base:base+(hi-lo)*ob])
		}
	}
}
