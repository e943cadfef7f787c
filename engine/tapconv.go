package engine

// Tap convolutions: 2-D convolutions without input dilation — plain (any stride and kernel, 1×1
// included) or depthwise (stride 1) — and their kernel gradients, without an im2col buffer. The
// input gradient of a stride-1 convolution is such a convolution too and takes the same path.
//
// Copy one image into a zero-padded buffer P whose rows share their padding columns (Wp = W +
// max(pl, pr) pixels per row; no copy at all when there is no padding). Kernel tap (i, j)
// of output (y, x) then reads P at ((y·sh + i·dh)·Wp + x·sw + j·dw)·C: from the output's own offset,
// a fixed distance per tap. Read as a GEMM, that is a matrix whose rows overlap, which no BLAS
// accepts (lda < K) but a micro-kernel that takes the rows' offsets as arguments reads in place.
// Without width dilation the kw taps of one kernel row are one run of kw·C floats.
//
// The GEMM micro-kernel keeps a tile of outputs × channels in registers over every tap and stores it
// once: 12 × 32 with AVX-512 (24 accumulators, masked loads and stores for the last columns), 6 × 16
// with AVX2 (B's columns padded to whole tiles instead of masked loads). A tile's rows are any 12
// outputs: only outputs that exist are computed. The kernel gradient is the same matrix read
// transposed, dK[tap, ci, co] = Σ_outputs P[out + tap + ci]·G[out, co], with the tile over
// (tap run, input channel) and the contraction over the outputs one output row at a time (the
// kernel's taps serve as row segments). Depthwise convolutions have a lane-wise tile over the taps
// (12 × 32; with AVX2 four blocks of 8 channels) and a strided dot per tap for the kernel gradient;
// they number outputs along the padded rows and drop the Wp − Wo extra columns.
//
// Measured on one core (2-core Intel Xeon, AVX-512, 64 images of 32×32×32, 3×3 to 32 channels):
// 104–136 GFLOP/s forward against 53–66 for im2col + OpenBLAS sgemm, whose GEMM alone runs at
// 79–85 (docs/RESULTS.md, "Engine").

// tapRowsMax is the tallest tile of the GEMM kernels (tapRows is the one in use): the geometry's
// tables are padded to it. The depthwise kernels' tile is always tapRowsMax × dwCols.
const tapRowsMax, dwCols = 12, 32

// tapGeometry is one image's padded layout and the taps of a 2-D convolution.
type tapGeometry struct {
	c          int   // input channels
	ih, iw     int   // input image
	pt, pl     int   // padding before rows and columns
	hp, wp     int   // padded image rows, and columns per row (padding shared between rows)
	oh, ow     int   // output image
	rows       int   // oh·wp: the depthwise tiles' outputs, valid and dropped
	taps       []int // byte offsets of the taps (forward: one per kernel row when dw = 1)
	run        int   // floats per tap run: kw·C when dw = 1, else C
	pixelTaps  []int // byte offsets of every kernel position, for depthwise
	outOffs    []int // byte offset in the padded image of output m's first tap, m < oh·ow, then the last repeated to a whole tile
	outRowSegs []int // byte offset in the padded image of output row y's first tap, y < oh
	kh, kw     int
	dh, dw     int  // dilations
	sh, sw     int  // strides
	padFloats  int  // length of the padded image buffer, with slack for the last tile's reads
	unpadded   bool // no padding: the padded layout is the input's own
}

// tapConvGeometry returns the tap layout of this (non-kernel-gradient) convolution, or nil when the
// micro-kernels cannot run it. They run 2-D convolutions without input dilation and with
// non-negative padding, either without groups (any stride and kernel, 1×1 included) or depthwise
// (stride 1).
func (c *convPlan) tapConvGeometry() *tapGeometry {
	plain := c.groups == 1 && c.bgroups == 1 && c.ki == c.ic
	depthwise := c.isDepthwise() && c.p.strides[0] == 1 && c.p.strides[1] == 1
	if !tapGemmAvailable || c.n != 2 || !(plain || depthwise) {
		return nil
	}
	for d := range 2 {
		if c.p.inputDilations[d] != 1 || c.p.paddings[d][0] < 0 || c.p.paddings[d][1] < 0 {
			return nil
		}
	}
	g := c.tapGeometry(c.ic, c.is, c.ks, c.p.kernelDilations, c.p.strides)
	if g.oh != c.os[0] || g.ow != c.os[1] || g.oh <= 0 || g.ow <= 0 {
		return nil
	}
	return &g
}

// tapKernelGradientGeometry is tapConvGeometry for the kernel-gradient form of a convolution (see
// isKernelGradient): the gradient conv's strides are the original dilations and its kernel
// dilations the original strides.
func (c *convPlan) tapKernelGradientGeometry() *tapGeometry {
	plain := c.groups == 1 && c.bgroups == 1
	// One batch group per channel (see isKernelGradient), of a stride-1 convolution.
	depthwise := c.groups == 1 && c.bgroups > 1 && c.p.kernelDilations[0] == 1 && c.p.kernelDilations[1] == 1
	if !tapGemmAvailable || c.n != 2 || !(plain || depthwise) {
		return nil
	}
	for d := range 2 {
		if c.p.paddings[d][0] < 0 || c.p.paddings[d][1] < 0 {
			return nil
		}
	}
	g := c.tapGeometry(c.ib, c.is, c.os, c.p.strides, c.p.kernelDilations)
	if g.oh != c.ks[0] || g.ow != c.ks[1] || g.oh <= 0 || g.ow <= 0 {
		return nil
	}
	return &g
}

// tapGeometry lays out images of ch channels and spatial size is for a kernel of spatial size ks,
// dilations dil and strides str, with the plan's paddings.
func (c *convPlan) tapGeometry(ch int, is, ks, dil, str []int) tapGeometry {
	g := tapGeometry{c: ch, ih: is[0], iw: is[1], kh: ks[0], kw: ks[1], dh: dil[0], dw: dil[1], sh: str[0], sw: str[1]}
	g.pt, g.pl = c.p.paddings[0][0], c.p.paddings[1][0]
	pb, pr := c.p.paddings[0][1], c.p.paddings[1][1]
	g.hp = g.ih + g.pt + pb
	g.oh = (g.hp-(g.kh-1)*g.dh-1)/g.sh + 1
	g.ow = (g.iw+g.pl+pr-(g.kw-1)*g.dw-1)/g.sw + 1
	if g.hp-(g.kh-1)*g.dh < 1 || g.iw+g.pl+pr-(g.kw-1)*g.dw < 1 {
		g.oh, g.ow = 0, 0 // the kernel is larger than the padded image
		return g
	}
	// Rows of the padded image share their padding columns: the zeros after row y's pixels are
	// also the zeros before row y+1's, so a tap reading past the right edge lands in the next
	// row's left padding. That needs max(pl, pr) zero columns per row rather than pl + pr (and,
	// for the depthwise tiles that number outputs along the padded rows, no fewer columns than
	// outputs).
	g.wp = max(g.iw+max(g.pl, pr), g.ow)
	g.rows = g.oh * g.wp
	const f32 = 4
	// Taps along the contraction, in the kernel's [kh, kw, C] order: without width dilation the kw
	// taps of a kernel row are one run of kw·C floats.
	if g.dw == 1 {
		g.run = g.kw * ch
		for i := range g.kh {
			g.taps = append(g.taps, i*g.dh*g.wp*ch*f32)
		}
	} else {
		g.run = ch
		for i := range g.kh {
			for j := range g.kw {
				g.taps = append(g.taps, (i*g.dh*g.wp+j*g.dw)*ch*f32)
			}
		}
	}
	for i := range g.kh {
		for j := range g.kw {
			g.pixelTaps = append(g.pixelTaps, (i*g.dh*g.wp+j*g.dw)*ch*f32)
		}
	}
	for y := range g.oh {
		g.outRowSegs = append(g.outRowSegs, y*g.sh*g.wp*ch*f32)
	}
	for m := range roundUp(g.oh*g.ow, tapRowsMax) {
		m = min(m, g.oh*g.ow-1)
		g.outOffs = append(g.outOffs, ((m/g.ow)*g.sh*g.wp+(m%g.ow)*g.sw)*ch*f32)
	}
	// Reads past the image: the forward's last tap run of the last output, the kernel gradient's
	// tile rows rounded up to 12, and the depthwise tiles' dropped columns.
	last := g.outOffs[len(g.outOffs)-1]/f32 + g.taps[len(g.taps)-1]/f32
	dwNeed := (g.rows+tapRowsMax)*ch + g.pixelTaps[len(g.pixelTaps)-1]/f32 + ch
	g.padFloats = max(g.hp*g.wp*ch, last+roundUp(g.run, tapRowsMax), dwNeed)
	g.unpadded = g.pt == 0 && g.pl == 0 && pb == 0 && pr == 0
	return g
}

func roundUp(n, m int) int { return (n + m - 1) / m * m }

// padColumns returns b (rows × n floats) as the tap GEMM kernel in use reads it: b itself, or, when
// the kernel reads whole tiles of columns (tapPadB), a scratch copy with its columns padded with zeros
// to a multiple of tapCols; and its row stride.
func padColumns(b []float32, rows, n int) ([]float32, int) {
	if !tapPadB || n%tapCols == 0 {
		return b, n
	}
	return padColumnsInto(getScratch(rows*roundUp(n, tapCols)), b, rows, n), roundUp(n, tapCols)
}

// padColumnsInto copies b (rows × n) into dst with rows of roundUp(n, tapCols) floats, zero-padded.
func padColumnsInto(dst, b []float32, rows, n int) []float32 {
	ld := roundUp(n, tapCols)
	for r := range rows {
		copy(dst[r*ld:r*ld+n], b[r*n:(r+1)*n])
		clear(dst[r*ld+n : (r+1)*ld])
	}
	return dst
}

// pad writes image b of in (NHWC, g.c channels) into p, zeros around it and in the slack.
func (g *tapGeometry) pad(p, in []float32, b int) {
	clear(p)
	C := g.c
	for y := range g.ih {
		src := in[((b*g.ih+y)*g.iw)*C : ((b*g.ih+y+1)*g.iw)*C]
		copy(p[((y+g.pt)*g.wp+g.pl)*C:], src)
	}
}

// tapMasks returns the lane masks of the two 16-float halves of a tile that has n ≥ 1 columns left.
func tapMasks(n int) (uint16, uint16) {
	lane := func(k int) uint16 {
		switch {
		case k >= 16:
			return 0xffff
		case k <= 0:
			return 0
		}
		return uint16(1)<<k - 1
	}
	return lane(n), lane(n - 16)
}

// tapConv computes the convolution (canonical layouts, c.tap from tapConvGeometry) image by image — or
// range of tiles by range when there are fewer images than threads — each task padding its image.
// A tile is 12 consecutive outputs of the image, wherever their rows start in the padded layout,
// so no dropped column is computed and the tile is written straight to its place in out.
func (c *convPlan) tapConv(out, in, ker []float32) {
	g := c.tap
	N := c.oc
	M := g.oh * g.ow
	kb, ldb := padColumns(ker, g.kh*g.kw*g.c, N)
	if len(kb) != len(ker) {
		defer putScratch(kb)
	}
	tiles := (M + tapRows - 1) / tapRows
	t := Threads()
	bands := 1
	if c.ob < t {
		bands = min(tiles, (t+c.ob-1)/c.ob)
	}
	tilesPer := (tiles + bands - 1) / bands
	parallelFor(c.ob*bands, 1, func(lo, hi int) {
		var p []float32
		if !g.unpadded {
			p = getScratch(g.padFloats)
			defer putScratch(p)
		}
		tail := getScratch(tapRows * N)
		defer putScratch(tail)
		src, last := p, -1
		for task := lo; task < hi; task++ {
			b, band := task/bands, task%bands
			t0, t1 := band*tilesPer, min(tiles, (band+1)*tilesPer)
			if t0 >= t1 {
				continue
			}
			if b != last {
				if g.unpadded { // no tap reads outside the image: read it in place
					src = in[b*g.ih*g.iw*g.c:]
				} else {
					g.pad(p, in, b)
				}
				last = b
			}
			img := out[b*M*N : (b+1)*M*N]
			for ti := t0; ti < t1; ti++ {
				m := ti * tapRows
				dst := img[m*N:]
				if m+tapRows > M {
					dst = tail // the last tile's rows past the image are computed and dropped
				}
				for j := 0; j < N; j += tapCols {
					tapGemmRows(&src[0], g.outOffs[m:], g.taps, g.run, kb[j:], ldb, dst[j:], N, N-j)
				}
				if m+tapRows > M {
					copy(img[m*N:], tail)
				}
			}
		}
	})
}

// tapKernelGradient computes dK (kernel-gradient layouts, c.tap from tapKernelGradientGeometry): the
// threads split the images, each summing its share into its own dK with rows rounded up to the
// tile; the shares are added in thread order, so the result does not depend on timing.
func (c *convPlan) tapKernelGradient(out, x, grad []float32) {
	// Gradient-conv terms (see isKernelGradient): ib = channels of x, ic = images, is = image
	// size, ks = output size of the original convolution, os = its kernel size, oc = its outputs.
	g := c.tap
	N := c.oc
	C := g.c
	nTaps := len(g.taps)
	tapRowsPad := roundUp(g.run, tapRowsMax)
	accLen := nTaps * tapRowsPad * N
	parts := make([][]float32, Threads())
	nParts := parallelChunks(c.ic, 1, len(parts), func(part, lo, hi int) {
		acc := getScratch(accLen)
		parts[part] = acc
		p := getScratch(g.padFloats)
		defer putScratch(p)
		M := g.oh * g.ow
		var padded []float32
		if tapPadB && N%tapCols != 0 {
			padded = getScratch(M * roundUp(N, tapCols))
			defer putScratch(padded)
		}
		for b := lo; b < hi; b++ {
			g.pad(p, x, b)
			img, ldb := grad[b*M*N:(b+1)*M*N], N
			if padded != nil {
				img, ldb = padColumnsInto(padded, img, M, N), roundUp(N, tapCols)
			}
			for ti, off := range g.taps {
				for i := 0; i < g.run; i += tapRows {
					for j := 0; j < N; j += tapCols {
						// Tile rows are the run's floats i…i+11 (stride 1); the contraction runs
						// over the outputs, one output row per segment (stride C·sw in p), while
						// the gradient's rows follow one another (stride N).
						tapGemm(&p[off/4+i], g.outRowSegs, g.ow, 1, C*g.sw, img[j:], ldb,
							acc[(ti*tapRowsPad+i)*N+j:], N, N-j, b != lo)
					}
				}
			}
		}
	})
	// Sum the shares and drop the tiles' padding rows: dK[tap run row, co] in kernel order.
	for ti := range nTaps {
		dst := out[ti*g.run*N : (ti+1)*g.run*N]
		copy(dst, parts[0][ti*tapRowsPad*N:])
		for _, acc := range parts[1:nParts] {
			addTo(dst, acc[ti*tapRowsPad*N:ti*tapRowsPad*N+len(dst)])
		}
	}
	for _, acc := range parts[:nParts] {
		putScratch(acc)
	}
}

// tapDepthwiseConv is tapConv for a depthwise convolution: tiles of 12 outputs × 32 channels,
// each output channel reading its own input channel.
func (c *convPlan) tapDepthwiseConv(out, in, ker []float32) {
	g := c.tap
	C := g.c
	t := Threads()
	bands := 1
	if c.ob < t {
		bands = min(g.oh, (t+c.ob-1)/c.ob)
	}
	bandRows := (g.oh + bands - 1) / bands
	parallelFor(c.ob*bands, 1, func(lo, hi int) {
		p := getScratch(g.padFloats)
		defer putScratch(p)
		tile := getScratch(roundUp(bandRows*g.wp, tapRowsMax) * C)
		defer putScratch(tile)
		last := -1
		for task := lo; task < hi; task++ {
			b, band := task/bands, task%bands
			y0, y1 := band*bandRows, min(g.oh, (band+1)*bandRows)
			if y0 >= y1 {
				continue
			}
			if b != last {
				g.pad(p, in, b)
				last = b
			}
			r0, n := y0*g.wp, (y1-y0)*g.wp
			for r := 0; r < n; r += tapRowsMax {
				for ch := 0; ch < C; ch += dwCols {
					tapDepthwise(p[(r0+r)*C+ch:], g.pixelTaps, C, ker[ch:], C, tile[r*C+ch:], C, C-ch)
				}
			}
			for y := y0; y < y1; y++ {
				copy(out[((b*g.oh+y)*g.ow)*C:((b*g.oh+y+1)*g.ow)*C], tile[(y-y0)*g.wp*C:])
			}
		}
	})
}

// tapDepthwiseKernelGradient computes a depthwise convolution's dK[tap, ch] = Σ_b Σ_r
// P_b[r·C + tap + ch]·G_b[r·C + ch], the threads splitting the images as tapKernelGradient does.
func (c *convPlan) tapDepthwiseKernelGradient(out, x, grad []float32) {
	g := c.tap
	C := g.c
	parts := make([][]float32, Threads())
	nParts := parallelChunks(c.ic, 1, len(parts), func(part, lo, hi int) {
		acc := getScratch(len(out))
		parts[part] = acc
		p := getScratch(g.padFloats)
		defer putScratch(p)
		gr := getScratch(g.rows * C)
		defer putScratch(gr)
		for b := lo; b < hi; b++ {
			g.pad(p, x, b)
			clear(gr)
			for y := range g.oh {
				copy(gr[y*g.wp*C:], grad[((b*g.oh+y)*g.ow)*C:((b*g.oh+y+1)*g.ow)*C])
			}
			for t, off := range g.pixelTaps {
				for ch := 0; ch < C; ch += dwCols {
					tapDot(p[off/4+ch:], gr[ch:], g.rows, C, acc[t*C+ch:], C-ch, b != lo)
				}
			}
		}
	})
	copy(out, parts[0])
	for _, acc := range parts[1:nParts] {
		addTo(out, acc)
	}
	for _, acc := range parts[:nParts] {
		putScratch(acc)
	}
}
