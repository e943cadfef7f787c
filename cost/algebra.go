package cost

import "math"

// Algebra is the arithmetic a cost formula needs. Writing each formula once over Algebra lets the same
// code run on float64 (Float: exact numbers for reports) and on GoMLX graph nodes (costgraph.Graph:
// differentiable terms of the search loss), so the two can never drift apart.
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
