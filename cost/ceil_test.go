package cost

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/uboost/uboost/accel"
)

// paperReference is eq. 7 as the reference code writes it: all 300 clamped terms summed.
func paperReference(x float64) float64 {
	sum := 0.0
	for i := 0; i < paperSteps; i++ {
		z := math.Max(-2, math.Min(2, x-float64(i)))
		sum += math.Pow(1+math.Exp(-paperB*z)/paperC, -1/paperV)
	}
	return sum
}

func TestPaperCeilMatchesReferenceSum(t *testing.T) {
	for x := -1.5; x <= 40; x += 0.0137 {
		got, want := Ceil(Float{}, PaperCeil, x), paperReference(x)
		if math.Abs(got-want) > 1e-12 {
			t.Fatalf("paper ceil(%g) = %.15g, reference sum %.15g", x, got, want)
		}
	}
	// Values PAPER.md §1.4 tabulates (computed independently): ceil(9/128) ≈ 0.202, ceil(1) ≈ 1.028,
	// the midpoint of the second step at 1.1245 ≈ 1.5, ceil(2) ≈ 2.028.
	for _, c := range []struct{ x, want float64 }{{9.0 / 128, 0.202}, {1, 1.028}, {1.1245, 1.500}, {2, 2.028}, {0.5, 0.9995}} {
		if got := Ceil(Float{}, PaperCeil, c.x); math.Abs(got-c.want) > 6e-4 {
			t.Errorf("paper ceil(%g) = %.4f, want %.4f", c.x, got, c.want)
		}
	}
}

func TestTightCeilBounds(t *testing.T) {
	for x := 1e-6; x <= 8; x += 0.00731 {
		got := Ceil(Float{}, TightCeil, x)
		if got < math.Max(1, x)-1e-12 || got > math.Ceil(x)+1e-12 {
			t.Fatalf("tight ceil(%g) = %g, outside [max(1,x), ⌈x⌉] = [%g, %g]", x, got, math.Max(1, x), math.Ceil(x))
		}
	}
	for n := 1.0; n <= 8; n++ {
		if got := Ceil(Float{}, TightCeil, n); got != n {
			t.Errorf("tight ceil(%g) = %g, want exact", n, got)
		}
	}
	// 0.3 tiles above an integer the rise is complete to within e^(−0.3/0.05) = 0.0025 (documented).
	if got := Ceil(Float{}, TightCeil, 2.3); 3-got > 0.0025 {
		t.Errorf("tight ceil(2.3) = %g, want within 0.0025 of 3", got)
	}
	// Depthwise 3×3 on a 128-row array: exactly one tile, where the paper's form says 0.20.
	if got := Ceil(Float{}, TightCeil, 9.0/128); got != 1 {
		t.Errorf("tight ceil(9/128) = %g, want 1", got)
	}
}

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
	for _, c := range []Ceiling{PaperCeil, TightCeil} {
		t.Run(string(c), func(t *testing.T) {
			exec := graph.MustNewExec(backend, func(x *graph.Node) (*graph.Node, *graph.Node) {
				y := Ceil[*graph.Node](NewGraph(x.Graph(), dtypes.Float64), c, x)
				return y, graph.Gradient(graph.ReduceAllSum(y), x)[0]
			})
			exec32 := graph.MustNewExec(backend, func(x *graph.Node) *graph.Node {
				return Ceil[*graph.Node](NewGraph(x.Graph(), dtypes.Float32), c, x)
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
				want := Ceil(Float{}, c, x)
				if math.Abs(values[i]-want) > 1e-9 {
					t.Errorf("graph float64 ceil(%g) = %g, float %g", x, values[i], want)
				}
				x32 := float64(xs32[i])
				if math.Abs(float64(values32[i])-Ceil(Float{}, c, x32)) > 1e-5 {
					t.Errorf("graph float32 ceil(%g) = %g, float %g", x32, values32[i], Ceil(Float{}, c, x32))
				}
				// Finite differences, away from the floor's kinks where the one-sided slopes differ.
				if frac := x - math.Floor(x); frac < 10*h || frac > 1-10*h {
					continue
				}
				fd := (Ceil(Float{}, c, x+h) - Ceil(Float{}, c, x-h)) / (2 * h)
				if math.Abs(grads[i]-fd) > 1e-4*math.Max(1, math.Abs(fd)) {
					t.Errorf("d ceil/dx at %g = %g, finite difference %g", x, grads[i], fd)
				}
			}
		})
	}
}

// TestCostGraphGradient checks a whole cycle formula's gradient with respect to a soft channel count
// against finite differences: the search differentiates exactly this.
func TestCostGraphGradient(t *testing.T) {
	backend := newBackend(t)
	a := accel.Default()
	for _, kind := range []Kind{KindSystolic, KindPipelined, KindRoofline} {
		for _, n := range []float64{100, 130.5, 200} {
			exec := graph.MustNewExec(backend, func(f *graph.Node) (*graph.Node, *graph.Node) {
				al := NewGraph(f.Graph(), dtypes.Float64)
				d := Dims[*graph.Node]{M: al.Const(256), K: al.Const(1152), N: f, Count: al.Const(1),
					InElems: al.Const(18 * 18 * 128), OutElems: al.Mul(al.Const(256), f)}
				y := Cycles(al, kind, TightCeil, a, d)
				return y, graph.Gradient(y, f)[0]
			})
			out := exec.MustExec(n)
			eval := func(f float64) float64 {
				return Cycles(Float{}, kind, TightCeil, a, Dims[float64]{M: 256, K: 1152, N: f, Count: 1, InElems: 18 * 18 * 128, OutElems: 256 * f})
			}
			const h = 1e-4
			fd := (eval(n+h) - eval(n-h)) / (2 * h)
			if got := out[0].Value().(float64); math.Abs(got-eval(n)) > 1e-9 {
				t.Errorf("%s: graph cycles at N=%g = %g, float %g", kind, n, got, eval(n))
			}
			if got := out[1].Value().(float64); math.Abs(got-fd) > 1e-4*math.Max(1, math.Abs(fd)) {
				t.Errorf("%s: d cycles/dN at %g = %g, finite difference %g", kind, n, got, fd)
			}
		}
	}
}
