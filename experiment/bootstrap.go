package experiment

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/uboost/uboost/report"
	"gonum.org/v1/gonum/stat"
)

// bootstrapResamples is how many times the seeds are resampled for an interval: enough that the 2.5%
// and 97.5% quantiles move by well under the figures' two decimals between rebuilds of a report.
const bootstrapResamples = 2000

// bootstrapVerdict fills the 95% intervals of v's per-λ speedups, of its hypervolume ratio and of its
// accuracy-axis geometric mean by the percentile bootstrap over seeds: each resample redraws, with replacement, as many runs
// as each (method, λ) cell of U-Boost and the baseline has, and recomputes the figures. The generator
// has a fixed seed, so --report-only rebuilds the same intervals. With one run per cell the interval
// is the point itself: one seed gives no spread to resample.
func bootstrapVerdict(v *Verdict, runs []Run) {
	type key struct {
		m string
		l float64
	}
	cells := map[key][]Run{}
	var keys []key
	for _, r := range runs {
		if r.Method != UBoost && r.Method != v.Baseline {
			continue
		}
		k := key{r.Method, r.Lambda}
		if _, ok := cells[k]; !ok {
			keys = append(keys, k)
		}
		cells[k] = append(cells[k], r)
	}
	slices.SortFunc(keys, func(a, b key) int { return cmp.Or(cmp.Compare(a.m, b.m), cmp.Compare(a.l, b.l)) })
	meanLatency := func(rs []Run) float64 {
		sum := 0.0
		for _, r := range rs {
			sum += r.SimLatencyMS
		}
		return sum / float64(len(rs))
	}
	rng := rand.New(rand.NewPCG(2022, 12412)) // fixed: the same report on every rebuild
	speedups := make([][]float64, len(v.PerLambda))
	var fronts, hvRatios []float64
	drawn := map[key][]Run{}
	var all []Run
	for range bootstrapResamples {
		all = all[:0]
		for _, k := range keys {
			src := cells[k]
			dst := drawn[k][:0]
			for range src {
				dst = append(dst, src[rng.IntN(len(src))])
			}
			drawn[k] = dst
			all = append(all, dst...)
		}
		for i, p := range v.PerLambda {
			speedups[i] = append(speedups[i], meanLatency(drawn[key{v.Baseline, p.Lambda}])/meanLatency(drawn[key{UBoost, p.Lambda}]))
		}
		var ub, bl []Run
		for _, r := range all {
			if r.Method == UBoost {
				ub = append(ub, r)
			} else {
				bl = append(bl, r)
			}
		}
		if hu := report.HyperVolume(points(ub)); len(ub) > 0 && len(bl) > 0 && hu > 0 {
			hvRatios = append(hvRatios, report.HyperVolume(points(bl))/hu)
		}
		f := Verdict{Baseline: v.Baseline}
		compareFronts(&f, all)
		if f.FrontLevels > 0 {
			fronts = append(fronts, f.FrontGeoMean)
		}
	}
	for i := range v.PerLambda {
		v.PerLambda[i].CI95 = interval95(speedups[i])
	}
	v.FrontGeoMeanCI95 = interval95(fronts)
	v.HVRatioCI95 = interval95(hvRatios)
}

// interval95 is the 2.5% and 97.5% empirical quantiles of xs (zeros when xs is empty).
func interval95(xs []float64) [2]float64 {
	if len(xs) == 0 {
		return [2]float64{}
	}
	slices.Sort(xs)
	return [2]float64{stat.Quantile(0.025, stat.Empirical, xs, nil), stat.Quantile(0.975, stat.Empirical, xs, nil)}
}

// ciText writes an interval as "95% CI 0.81–1.20×".
func ciText(ci [2]float64) string {
	return fmt.Sprintf("95%% CI %.2f–%.2f×", ci[0], ci[1])
}
