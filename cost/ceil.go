package cost

import (
	"fmt"
	"math"
	"strings"
)

// Ceiling is how a cost formula rounds a size up to whole tiles: exactly, or by a smooth staircase whose
// gradient the search can follow.
type Ceiling string

const (
	// ExactCeil is ⌈x⌉. It has no useful gradient.
	ExactCeil Ceiling = "exact"
	// PaperCeil is U-Boost NAS eq. 7, the generalized logistic (Richards) staircase
	// Σ_i [1 + exp(−B(x − w_i))/C]^(−1/v), B = 20, C = 0.2, v = 0.5, w_i = 0…299, each term's argument
	// clamped to ±2 as the reference code does. Each step's midpoint sits at n + 0.1245, so an exact
	// multiple n reads n + 0.028, and a small positive size reads far below 1 (⌈9/128⌉ → 0.20).
	PaperCeil Ceiling = "paper"
	// TightCeil is uboost's staircase: n + s(x − n) with n = ⌊x⌋ and
	// s(t) = (1 − e^(−t/τ)) / (1 − e^(−1/τ)), τ = TightTau, floored at 1. It equals ⌈x⌉ at every integer
	// and for 0 < x ≤ 1, never exceeds ⌈x⌉, never falls below max(1, x), and just above a multiple of the
	// tile its slope is ≈ 1/τ — the push the search needs to come back down to the multiple.
	TightCeil Ceiling = "tight"
)

// Paper constants of the generalized logistic (eq. 7 and the reference code's smooth_ceil).
const (
	paperB     = 20.0
	paperC     = 0.2
	paperV     = 0.5
	paperSteps = 300 // offsets w_i = 0 … 299
	paperClamp = 2.0
)

// CeilLimit is the most tiles ceiling c counts: the paper's staircase has 300 steps (w_i = 0…299),
// reaches 300 at 300 and stays there for any larger size; the exact and tight ceilings have no limit.
func CeilLimit(c Ceiling) float64 {
	if c == PaperCeil {
		return paperSteps
	}
	return math.Inf(1)
}

// TightTau is the width, in tiles, of the tight ceiling's rise above each integer. Its mean absolute
// error against ⌈x⌉ is about τ per unit interval (docs/COSTMODEL.md).
const TightTau = 0.05

// ParseCeiling reads a ceiling name.
func ParseCeiling(s string) (Ceiling, error) {
	switch c := Ceiling(strings.ToLower(s)); c {
	case ExactCeil, PaperCeil, TightCeil:
		return c, nil
	}
	return "", fmt.Errorf("unknown ceiling %q (want exact, paper or tight)", s)
}

// Ceil rounds x up to whole tiles with ceiling c, on any algebra.
func Ceil[T any](al Algebra[T], c Ceiling, x T) T {
	switch c {
	case PaperCeil:
		return paperCeil(al, x)
	case TightCeil:
		return tightCeil(al, x)
	}
	return al.Ceil(x)
}

// paperTerm is one generalized-logistic step [1 + e^(−Bz)/C]^(−1/v) at a clamped offset z.
func paperTerm[T any](al Algebra[T], z T) T {
	z = al.Max(al.Min(z, al.Const(paperClamp)), al.Const(-paperClamp))
	return al.Pow(al.Add(al.Const(1), al.Div(al.Exp(al.Mul(al.Const(-paperB), z)), al.Const(paperC))), -1/paperV)
}

// paperCeil sums the 300 steps of eq. 7 without evaluating all of them: with n = ⌊x⌋, every step
// i ≤ n−2 has its argument clamped at +2 and every step i ≥ n+3 at −2, so they contribute constants;
// only the four steps n−1 … n+2 vary with x. Steps outside 0…299 are masked out.
func paperCeil[T any](al Algebra[T], x T) T {
	n := al.Floor(x)
	one := al.Const(1)
	hi, lo := paperTerm(al, al.Const(paperClamp)), paperTerm(al, al.Const(-paperClamp))
	// Saturated steps: i = 0 … n−2 (count clamp(n−1, 0, 300)) read hi; i = n+3 … 299 read lo.
	below := al.Max(al.Min(al.Sub(n, one), al.Const(paperSteps)), al.Const(0))
	above := al.Max(al.Min(al.Sub(al.Const(paperSteps-3), n), al.Const(paperSteps)), al.Const(0))
	sum := al.Add(al.Mul(below, hi), al.Mul(above, lo))
	for d := -1.0; d <= 2; d++ {
		i := al.Add(n, al.Const(d))
		inRange := al.Mul(al.Step(i), al.Step(al.Sub(al.Const(paperSteps-1), i)))
		sum = al.Add(sum, al.Mul(inRange, paperTerm(al, al.Sub(x, i))))
	}
	return sum
}

// tightCeil is n + s(x − n), floored at 1 (see TightCeil).
func tightCeil[T any](al Algebra[T], x T) T {
	n := al.Floor(x)
	t := al.Sub(x, n)
	norm := 1 - math.Exp(-1/TightTau)
	s := al.Div(al.Sub(al.Const(1), al.Exp(al.Div(t, al.Const(-TightTau)))), al.Const(norm))
	return al.Max(al.Add(n, s), al.Const(1))
}
