package engine

import (
	"math"

	"github.com/gomlx/gomlx/backends/simplego"
)

// Batch normalization kernels over a tensor seen as [outer, C, inner] around the feature axis
// (inner = 1 for channels-last images). Per-channel sums are accumulated in float64 over
// parallel chunks of the outer axis; each pass is a plain loop with no per-element calls.

// bnChunk is the minimum number of outer rows per parallel chunk.
func bnChunk(c, inner int) int { return max(1, 16384/max(c*inner, 1)) }

// channelMoments returns Σx and Σx² per channel, or, with g given, Σg and Σg·(x−mean).
func channelMoments(x, g []float32, mean []float32, outer, c, inner int) (s1, s2 []float64) {
	s1, s2 = make([]float64, c), make([]float64, c)
	nt := Threads()
	partA, partB := make([][]float64, nt), make([][]float64, nt)
	n := parallelChunks(outer, bnChunk(c, inner), nt, func(chunk, lo, hi int) {
		a, b := make([]float64, c), make([]float64, c)
		partA[chunk], partB[chunk] = a, b
		c0 := 0 // channels-last: the SIMD loops take the leading multiple of 8 channels
		if inner == 1 {
			c0 = momentsSIMD(x, g, mean, lo, hi, c, a, b)
		}
		for o := lo; o < hi; o++ {
			if inner == 1 {
				row := x[o*c+c0 : (o+1)*c]
				a, b := a[c0:], b[c0:]
				if g == nil {
					for ch, v := range row {
						f := float64(v)
						a[ch] += f
						b[ch] += f * f
					}
				} else {
					grow := g[o*c+c0 : (o+1)*c]
					grow = grow[:len(row)]
					m := mean[c0:]
					m = m[:len(row)]
					for ch, v := range row {
						gv := float64(grow[ch])
						a[ch] += gv
						b[ch] += gv * float64(v-m[ch])
					}
				}
				continue
			}
			for ch := 0; ch < c; ch++ {
				base := (o*c + ch) * inner
				row := x[base : base+inner]
				var sa, sb float64
				if g == nil {
					for _, v := range row {
						f := float64(v)
						sa += f
						sb += f * f
					}
				} else {
					grow := g[base : base+inner]
					m := mean[ch]
					for i, v := range row {
						gv := float64(grow[i])
						sa += gv
						sb += gv * float64(v-m)
					}
				}
				a[ch] += sa
				b[ch] += sb
			}
		}
	})
	for k := range n {
		for ch := range c {
			s1[ch] += partA[k][ch]
			s2[ch] += partB[k][ch]
		}
	}
	return s1, s2
}

// channelAffine sets out = x·mul[ch] + add[ch], or with g given out = g·mul[ch] + x·add[ch] + sub[ch].
func channelAffine(out, x, g []float32, mul, add, sub []float32, outer, c, inner int) {
	parallelFor(outer, bnChunk(c, inner), func(lo, hi int) {
		if inner == 1 && affineRowsSIMD(out, x, g, mul, add, sub, lo, hi, c) {
			return
		}
		for o := lo; o < hi; o++ {
			if inner == 1 {
				dst := out[o*c : (o+1)*c]
				row := x[o*c : (o+1)*c]
				row, m, a := row[:len(dst)], mul[:len(dst)], add[:len(dst)]
				if g == nil {
					mulAddVec(dst, row, m, a)
				} else {
					mulAddVec(dst, g[o*c:(o+1)*c], m, sub) // g·k + b
					fmaVec(dst, row, a)                    // + x·a
				}
				continue
			}
			for ch := 0; ch < c; ch++ {
				base := (o*c + ch) * inner
				dst := out[base : base+inner]
				row := x[base : base+inner]
				m, a := mul[ch], add[ch]
				if g == nil {
					for i, v := range row {
						dst[i] = v*m + a
					}
				} else {
					grow := g[base : base+inner]
					sb := sub[ch]
					for i, v := range row {
						dst[i] = grow[i]*m + v*a + sb
					}
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
	s1, s2 := channelMoments(x, nil, nil, outer, c, inner)
	outs := nodeMultiOutputs(node)
	res := []*simplego.Buffer{newOutput(backend, shape), newOutput(backend, nodeShape(outs[1])), newOutput(backend, nodeShape(outs[2]))}
	mean, variance := f32(backend, res[1]), f32(backend, res[2])
	mul, add := make([]float32, c), make([]float32, c)
	for ch := range c {
		m := s1[ch] / n
		v := max(s2[ch]/n-m*m, 0)
		mean[ch], variance[ch] = float32(m), float32(v)
		k := float64(scale[ch]) / math.Sqrt(v+float64(p.epsilon))
		mul[ch] = float32(k)
		add[ch] = float32(float64(offset[ch]) - m*k)
	}
	channelAffine(f32(backend, res[0]), x, nil, mul, add, nil, outer, c, inner)
	return res, nil
}

func execBatchNormInference(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, _ []bool) (*simplego.Buffer, error) {
	p := nodeData(node).(*bnParams)
	shape := bufShape(backend, inputs[0])
	x, scale, offset := f32(backend, inputs[0]), f32(backend, inputs[1]), f32(backend, inputs[2])
	mean, variance := f32(backend, inputs[3]), f32(backend, inputs[4])
	outer, c, inner := bnLayout(shape.Dimensions, p.featureAxis)
	mul, add := make([]float32, c), make([]float32, c)
	for ch := range c {
		k := float64(scale[ch]) / math.Sqrt(float64(variance[ch])+float64(p.epsilon))
		mul[ch] = float32(k)
		add[ch] = float32(float64(offset[ch]) - float64(mean[ch])*k)
	}
	out := newOutput(backend, shape)
	channelAffine(f32(backend, out), x, nil, mul, add, nil, outer, c, inner)
	return out, nil
}

// execBatchNormGradient: with x̂ = (x−μ)/σ, σ = √(var+ε), N elements per channel and g the output
// gradient: ∂offset = Σg, ∂scale = Σg·x̂, ∂x = scale/σ · (g − ∂offset/N − x̂·∂scale/N), computed
// as ∂x = g·k + x·a + b with k = scale/σ, a = −k·∂scale/(N·σ), b = −k·∂offset/N − μ·a.
func execBatchNormGradient(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, _ []bool) ([]*simplego.Buffer, error) {
	p := nodeData(node).(*bnParams)
	shape := bufShape(backend, inputs[0])
	x, scale := f32(backend, inputs[0]), f32(backend, inputs[1])
	mean, variance, g := f32(backend, inputs[2]), f32(backend, inputs[3]), f32(backend, inputs[4])
	outer, c, inner := bnLayout(shape.Dimensions, p.featureAxis)
	n := float64(outer * inner)
	sumG, sumGXc := channelMoments(x, g, mean, outer, c, inner)
	outs := nodeMultiOutputs(node)
	res := []*simplego.Buffer{newOutput(backend, shape), newOutput(backend, nodeShape(outs[1])), newOutput(backend, nodeShape(outs[2]))}
	gScale, gOffset := f32(backend, res[1]), f32(backend, res[2])
	k, a, b := make([]float32, c), make([]float32, c), make([]float32, c)
	for ch := range c {
		inv := 1 / math.Sqrt(float64(variance[ch])+float64(p.epsilon))
		ds := sumGXc[ch] * inv // Σ g·x̂
		gOffset[ch], gScale[ch] = float32(sumG[ch]), float32(ds)
		kk := float64(scale[ch]) * inv
		aa := -kk * ds * inv / n
		k[ch], a[ch] = float32(kk), float32(aa)
		b[ch] = float32(-kk*sumG[ch]/n - float64(mean[ch])*aa)
	}
	channelAffine(f32(backend, res[0]), x, g, k, a, b, outer, c, inner)
	return res, nil
}
