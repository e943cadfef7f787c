package costgraph_test

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/cost/costgraph"
)

func newBackend(t testing.TB) backends.Backend {
	b, err := simplego.New("")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCeilGraphMatchesFloat evaluates each ceiling on graph nodes (float32, as the search does) and
// compares values with the float64 evaluation and gradients with central finite differences.
func TestCeilGraphMatchesFloat(t *testing.T) {
	backend := newBackend(t)
	var xs []float64
	for x := 0.013; x <= 8; x += 0.0517 {
		xs = append(xs, x)
	}
	for _, c := range []cost.Ceiling{cost.PaperCeil, cost.TightCeil} {
		t.Run(string(c), func(t *testing.T) {
			exec := graph.MustNewExec(backend, func(x *graph.Node) (*graph.Node, *graph.Node) {
				y := cost.Ceil[*graph.Node](costgraph.New(x.Graph(), dtypes.Float64), c, x)
				return y, graph.Gradient(graph.ReduceAllSum(y), x)[0]
			})
			exec32 := graph.MustNewExec(backend, func(x *graph.Node) *graph.Node {
				return cost.Ceil[*graph.Node](costgraph.New(x.Graph(), dtypes.Float32), c, x)
			})
			xs32 := make([]float32, len(xs))
			for i, x := range xs {
				xs32[i] = float32(x)
			}
			out := exec.MustExec(xs)
			values, grads := out[0].Value().([]float64), out[1].Value().([]float64)
			values32 := exec32.MustExec(xs32)[0].Value().([]float32)
			const h = 1e-6
			for i, x := range xs {
				want := cost.Ceil(cost.Float{}, c, x)
				if math.Abs(values[i]-want) > 1e-9 {
					t.Errorf("graph float64 ceil(%g) = %g, float %g", x, values[i], want)
				}
				x32 := float64(xs32[i])
				if math.Abs(float64(values32[i])-cost.Ceil(cost.Float{}, c, x32)) > 1e-5 {
					t.Errorf("graph float32 ceil(%g) = %g, float %g", x32, values32[i], cost.Ceil(cost.Float{}, c, x32))
				}
				// Finite differences, away from the floor's kinks where the one-sided slopes differ.
				if frac := x - math.Floor(x); frac < 10*h || frac > 1-10*h {
					continue
				}
				fd := (cost.Ceil(cost.Float{}, c, x+h) - cost.Ceil(cost.Float{}, c, x-h)) / (2 * h)
				if math.Abs(grads[i]-fd) > 1e-4*math.Max(1, math.Abs(fd)) {
					t.Errorf("d ceil/dx at %g = %g, finite difference %g", x, grads[i], fd)
				}
			}
		})
	}
}

// TestCostGraphGradient checks a whole cycle formula's gradient with respect to a soft channel count
// against finite differences, on one array and on three: the search differentiates exactly this.
func TestCostGraphGradient(t *testing.T) {
	backend := newBackend(t)
	for _, a := range []*accel.Accelerator{accel.Default(), accel.New(64, 64).WithArrays(3)} {
		costGraphGradient(t, backend, a)
	}
}

// costGraphGradient is TestCostGraphGradient on one accelerator (on several arrays the busiest
// array's ⌈tiles/A⌉ is a second smooth ceiling over the first).
func costGraphGradient(t *testing.T, backend backends.Backend, a *accel.Accelerator) {
	for _, kind := range []cost.Kind{cost.KindSystolic, cost.KindPipelined, cost.KindRoofline, cost.KindRooflinePaper} {
		for _, n := range []float64{100, 130.5, 200} {
			exec := graph.MustNewExec(backend, func(f *graph.Node) (*graph.Node, *graph.Node) {
				al := costgraph.New(f.Graph(), dtypes.Float64)
				d := cost.Dims[*graph.Node]{M: al.Const(256), K: al.Const(1152), N: f, Count: al.Const(1), KernelArea: al.Const(9),
					InElems: al.Const(18 * 18 * 128), OutElems: al.Mul(al.Const(256), f)}
				y := cost.Cycles(al, kind, cost.TightCeil, a, d)
				return y, graph.Gradient(y, f)[0]
			})
			out := exec.MustExec(n)
			eval := func(f float64) float64 {
				return cost.Cycles(cost.Float{}, kind, cost.TightCeil, a, cost.Dims[float64]{M: 256, K: 1152, N: f, Count: 1, KernelArea: 9, InElems: 18 * 18 * 128, OutElems: 256 * f})
			}
			const h = 1e-4
			fd := (eval(n+h) - eval(n-h)) / (2 * h)
			if got := out[0].Value().(float64); math.Abs(got-eval(n)) > 1e-9 {
				t.Errorf("%s on %s: graph cycles at N=%g = %g, float %g", kind, a.Shape(), n, got, eval(n))
			}
			if got := out[1].Value().(float64); math.Abs(got-fd) > 1e-4*math.Max(1, math.Abs(fd)) {
				t.Errorf("%s on %s: d cycles/dN at %g = %g, finite difference %g", kind, a.Shape(), n, got, fd)
			}
		}
	}
}
