package report

import (
	"math"
	"strconv"

	"gonum.org/v1/gonum/stat"
)

// Missing is how a cell shows a value that does not exist (no runs, NaN).
const Missing = "—"

// Fixed formats x with prec digits after the point ("87.80"); NaN and ±Inf show as Missing.
func Fixed(x float64, prec int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return Missing
	}
	return strconv.FormatFloat(x, 'f', prec, 64)
}

// Percent formats a fraction as a percentage with prec digits: Percent(0.911, 1) = "91.1%".
func Percent(frac float64, prec int) string {
	s := Fixed(100*frac, prec)
	if s == Missing {
		return s
	}
	return s + "%"
}

// MeanStd returns the mean and the sample standard deviation (n−1 in the denominator, as results over a
// few seeds are reported). One value has std 0; no values give NaN for both.
func MeanStd(xs []float64) (mean, std float64) {
	switch len(xs) {
	case 0:
		return math.NaN(), math.NaN()
	case 1:
		return xs[0], 0
	}
	return stat.MeanStdDev(xs, nil)
}

// FormatMeanStd formats repeated measurements as "mean ± std" with prec digits ("91.30 ± 0.24"), a single
// measurement as its value alone, and none as Missing.
func FormatMeanStd(xs []float64, prec int) string {
	if len(xs) == 0 {
		return Missing
	}
	m, s := MeanStd(xs)
	if len(xs) == 1 {
		return Fixed(m, prec)
	}
	return Fixed(m, prec) + " ± " + Fixed(s, prec)
}

// SI formats x with an SI prefix and prec digits: SI(1.8e9, 2) = "1.80G", SI(512, 0) = "512". It is for
// counts (MACs, parameters, cycles), so it goes up to T and never below units.
func SI(x float64, prec int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return Missing
	}
	prefixes := []string{"", "k", "M", "G", "T"}
	i := 0
	// Step up while the rounded figure would read 1000 or more, so 999999 prints "1.0M", not "1000.0k".
	for i < len(prefixes)-1 && math.Abs(roundTo(x, prec)) >= 1000 {
		x /= 1000
		i++
	}
	return strconv.FormatFloat(x, 'f', prec, 64) + prefixes[i]
}

// roundTo rounds x to prec decimals as strconv prints it.
func roundTo(x float64, prec int) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', prec, 64), 64)
	return r
}
