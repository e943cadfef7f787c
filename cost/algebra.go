package cost

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
)

// Algebra is the arithmetic a cost formula needs. Writing each formula once over Algebra lets the same
// code run on float64 (Float: exact numbers for reports) and on GoMLX graph nodes (Graph: differentiable
// terms of the search loss), so the two can never drift apart.
type Algebra[T any] interface {
	Const(v float64) T
	Add(a, b T) T
	Sub(a, b T) T
	Mul(a, b T) T
	Div(a, b T) T
	Max(a, b T) T
	Min(a, b T) T
	Exp(a T) T
	// Pow raises a to a constant power.
	Pow(a T, p float64) T
	Floor(a T) T
	Ceil(a T) T
	// Step is 1 where a ≥ 0 and 0 elsewhere; it carries no gradient.
	Step(a T) T
}

// Float evaluates formulas on float64.
type Float struct{}

func (Float) Const(v float64) float64          { return v }
func (Float) Add(a, b float64) float64         { return a + b }
func (Float) Sub(a, b float64) float64         { return a - b }
func (Float) Mul(a, b float64) float64         { return a * b }
func (Float) Div(a, b float64) float64         { return a / b }
func (Float) Max(a, b float64) float64         { return math.Max(a, b) }
func (Float) Min(a, b float64) float64         { return math.Min(a, b) }
func (Float) Exp(a float64) float64            { return math.Exp(a) }
func (Float) Pow(a float64, p float64) float64 { return math.Pow(a, p) }
func (Float) Floor(a float64) float64          { return math.Floor(a) }
func (Float) Ceil(a float64) float64           { return math.Ceil(a) }
func (Float) Step(a float64) float64 {
	if a >= 0 {
		return 1
	}
	return 0
}

// Graph builds formulas as GoMLX graph nodes of one float dtype in graph G. Operands may be scalars or
// tensors of one shape (scalars broadcast).
type Graph struct {
	G     *graph.Graph
	DType dtypes.DType
}

// NewGraph returns a graph algebra on g in dtype (float32 or float64).
func NewGraph(g *graph.Graph, dtype dtypes.DType) Graph { return Graph{G: g, DType: dtype} }

func (a Graph) Const(v float64) *graph.Node              { return graph.Scalar(a.G, a.DType, v) }
func (Graph) Add(x, y *graph.Node) *graph.Node           { return graph.Add(x, y) }
func (Graph) Sub(x, y *graph.Node) *graph.Node           { return graph.Sub(x, y) }
func (Graph) Mul(x, y *graph.Node) *graph.Node           { return graph.Mul(x, y) }
func (Graph) Div(x, y *graph.Node) *graph.Node           { return graph.Div(x, y) }
func (Graph) Max(x, y *graph.Node) *graph.Node           { return graph.Max(x, y) }
func (Graph) Min(x, y *graph.Node) *graph.Node           { return graph.Min(x, y) }
func (Graph) Exp(x *graph.Node) *graph.Node              { return graph.Exp(x) }
func (a Graph) Pow(x *graph.Node, p float64) *graph.Node { return graph.Pow(x, a.Const(p)) }
func (Graph) Floor(x *graph.Node) *graph.Node            { return graph.StopGradient(graph.Floor(x)) }
func (Graph) Ceil(x *graph.Node) *graph.Node             { return graph.StopGradient(graph.Ceil(x)) }
func (a Graph) Step(x *graph.Node) *graph.Node {
	return graph.StopGradient(graph.ConvertDType(graph.GreaterOrEqual(x, graph.ZerosLike(x)), a.DType))
}
