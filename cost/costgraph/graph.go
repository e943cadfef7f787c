// Package costgraph is the graph half of package cost: the Algebra that builds cost formulas as GoMLX
// graph nodes, so that the search can differentiate the same formulas that reports evaluate on float64.
// It lives apart so that cost, and whatever prices networks without training them (report, experiment),
// does not carry the ML stack.
package costgraph

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/uboost/uboost/cost"
)

// Graph builds formulas as GoMLX graph nodes of one float dtype in graph G. Operands may be scalars or
// tensors of one shape (scalars broadcast). Floor, Ceil and Step carry no gradient.
type Graph struct {
	G     *graph.Graph
	DType dtypes.DType
}

var _ cost.Algebra[*graph.Node] = Graph{}

// New returns a graph algebra on g in dtype (float32 or float64).
func New(g *graph.Graph, dtype dtypes.DType) Graph { return Graph{G: g, DType: dtype} }

// Const is the scalar v.
func (a Graph) Const(v float64) *graph.Node { return graph.Scalar(a.G, a.DType, v) }

// Add is x + y.
func (Graph) Add(x, y *graph.Node) *graph.Node { return graph.Add(x, y) }

// Sub is x − y.
func (Graph) Sub(x, y *graph.Node) *graph.Node { return graph.Sub(x, y) }

// Mul is x · y.
func (Graph) Mul(x, y *graph.Node) *graph.Node { return graph.Mul(x, y) }

// Div is x / y.
func (Graph) Div(x, y *graph.Node) *graph.Node { return graph.Div(x, y) }

// Max is the elementwise maximum; its gradient goes to the larger operand.
func (Graph) Max(x, y *graph.Node) *graph.Node { return graph.Max(x, y) }

// Min is the elementwise minimum.
func (Graph) Min(x, y *graph.Node) *graph.Node { return graph.Min(x, y) }

// Exp is e^x.
func (Graph) Exp(x *graph.Node) *graph.Node { return graph.Exp(x) }

// Pow is x^p for a constant p.
func (a Graph) Pow(x *graph.Node, p float64) *graph.Node { return graph.Pow(x, a.Const(p)) }

// Floor is ⌊x⌋, without gradient.
func (Graph) Floor(x *graph.Node) *graph.Node { return graph.StopGradient(graph.Floor(x)) }

// Ceil is ⌈x⌉, without gradient.
func (Graph) Ceil(x *graph.Node) *graph.Node { return graph.StopGradient(graph.Ceil(x)) }

// Step is 1 where x ≥ 0 and 0 elsewhere, without gradient.
func (a Graph) Step(x *graph.Node) *graph.Node {
	return graph.StopGradient(graph.ConvertDType(graph.GreaterOrEqual(x, graph.ZerosLike(x)), a.DType))
}
