package engine

import (
	"math"
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

func init() {
	sgSetNodeExecutor(backends.OpTypeReduceWindow, priorityUser, execReduceWindow)
}

// windowReduce are the engine's ReduceWindow parameters, all filled.
type windowReduce struct {
	op                                              backends.ReduceOpType
	window, strides, baseDilations, windowDilations []int
	paddings                                        [][2]int
}

// ReduceWindow routes float32 max/min/sum pooling to the engine's kernel (simplego's generic
// one iterates with a callback per element and took 20% of a training step on one max-pool).
func (b *builder) ReduceWindow(operand backends.Op, reductionType backends.ReduceOpType,
	windowDimensions, strides, baseDilations, windowDilations []int, paddings [][2]int) (backends.Op, error) {
	op, err := b.Builder.ReduceWindow(operand, reductionType, windowDimensions, strides, baseDilations, windowDilations, paddings)
	if err != nil {
		return nil, err
	}
	node := op.(*simplego.Node)
	r := nodeShape(node).Rank()
	if nodeShape(node).DType != dtypes.Float32 || (reductionType != backends.ReduceOpMax &&
		reductionType != backends.ReduceOpMin && reductionType != backends.ReduceOpSum) || len(windowDimensions) != r {
		return op, nil
	}
	fill := func(s []int, def []int) []int {
		if len(s) == 0 {
			return slices.Clone(def)
		}
		return slices.Clone(s)
	}
	ones := onesInts(r)
	p := &windowReduce{op: reductionType, window: slices.Clone(windowDimensions), strides: fill(strides, windowDimensions),
		baseDilations: fill(baseDilations, ones), windowDilations: fill(windowDilations, ones), paddings: slices.Clone(paddings)}
	if len(p.paddings) == 0 {
		p.paddings = make([][2]int, r)
	}
	setNodeData(node, p)
	return node, nil
}

// execReduceWindow: trailing axes that the window leaves alone (channels) form contiguous runs,
// reduced as vectors; the other axes go through per-axis tables of input index per (output,
// window) position, -1 for padding or dilation holes.
func execReduceWindow(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, inputsOwned []bool) (*simplego.Buffer, error) {
	p, ok := nodeData(node).(*windowReduce)
	if !ok {
		return sgExecReduceWindow(backend, node, inputs, inputsOwned)
	}
	inShape, outShape := bufShape(backend, inputs[0]), nodeShape(node)
	in := f32(backend, inputs[0])
	out := newOutput(backend, outShape)
	o := f32(backend, out)
	r := inShape.Rank()
	id, od := inShape.Dimensions, outShape.Dimensions
	if p.op == backends.ReduceOpMax && isPool2x2(p.window, p.strides, p.baseDilations, p.windowDilations, p.paddings) {
		maxPool2x2(o, in, id)
		return out, nil
	}
	lead := r
	run := 1
	for lead > 0 {
		a := lead - 1
		if p.window[a] != 1 || p.strides[a] != 1 || p.baseDilations[a] != 1 || p.paddings[a] != [2]int{} || id[a] != od[a] {
			break
		}
		run *= id[a]
		lead--
	}
	tabs := make([][]int, lead)
	for a := range lead {
		t := make([]int, od[a]*p.window[a])
		for oi := range od[a] {
			for w := range p.window[a] {
				pos := oi*p.strides[a] - p.paddings[a][0] + w*p.windowDilations[a]
				idx := -1
				if pos >= 0 && pos%p.baseDilations[a] == 0 && pos/p.baseDilations[a] < id[a] {
					idx = pos / p.baseDilations[a]
				}
				t[oi*p.window[a]+w] = idx
			}
		}
		tabs[a] = t
	}
	nWin := 1
	for a := range lead {
		nWin *= p.window[a]
	}
	wcoords := make([][]int, 0, nWin)
	wc := make([]int, lead)
	for range nWin {
		wcoords = append(wcoords, slices.Clone(wc))
		for a := lead - 1; a >= 0; a-- {
			wc[a]++
			if wc[a] < p.window[a] {
				break
			}
			wc[a] = 0
		}
	}
	init := float32(0)
	switch p.op {
	case backends.ReduceOpMax:
		init = float32(math.Inf(-1))
	case backends.ReduceOpMin:
		init = float32(math.Inf(1))
	}
	rows := len(o) / max(run, 1)
	parallelFor(rows, max(1, 2048/max(run, 1)), func(lo, hi int) {
		oc := make([]int, lead)
		for row := lo; row < hi; row++ {
			rem := row
			for a := lead - 1; a >= 0; a-- {
				oc[a] = rem % od[a]
				rem /= od[a]
			}
			dst := o[row*run : (row+1)*run]
			for i := range dst {
				dst[i] = init
			}
			for _, w := range wcoords {
				off := 0
				for a := range lead {
					idx := tabs[a][oc[a]*p.window[a]+w[a]]
					if idx < 0 {
						off = -1
						break
					}
					off = off*id[a] + idx
				}
				if off < 0 {
					continue
				}
				src := in[off*run : (off+1)*run]
				src = src[:len(dst)]
				switch p.op {
				case backends.ReduceOpMax:
					for i, v := range src {
						if v > dst[i] {
							dst[i] = v
						}
					}
				case backends.ReduceOpMin:
					for i, v := range src {
						if v < dst[i] {
							dst[i] = v
						}
					}
				default:
					for i, v := range src {
						dst[i] += v
					}
				}
			}
		}
	})
	return out, nil
}
