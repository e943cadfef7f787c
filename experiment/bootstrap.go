package experiment

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/uboost/uboost/report"
	"gonum.org/v1/gonum/stat"
)

// bootstrapResamples is how many times the seeds are resampled for an interval: enough that the 2.5%
// and 97.5% quantiles move by well under the figures' two decimals between rebuilds of a report.
const bootstrapResamples = 2000

// newBootstrapRNG is the resampling's generator, with a fixed seed so that --report-only rebuilds the
// same intervals.
func newBootstrapRNG() *rand.Rand { return rand.New(rand.NewPCG(2022, 12412)) }

// cellKey names one (method, λ) cell of a grid.
type cellKey struct {
	method string
	lambda float64
}

// resampler redraws a grid's seeds: each draw takes, with replacement, as many runs as each
// (method, λ) cell has. A cell of one run always gives that run: one seed has no spread to resample.
type resampler struct {
	keys  []cellKey
	cells map[cellKey][]Run
	drawn map[cellKey][]Run
	all   []Run
}

// newResampler groups the runs that keep accepts (all when keep is nil) into cells.
func newResampler(runs []Run, keep func(Run) bool) *resampler {
	r := &resampler{cells: map[cellKey][]Run{}, drawn: map[cellKey][]Run{}}
	for _, run := range runs {
		if keep != nil && !keep(run) {
			continue
		}
		k := cellKey{run.Method, run.Lambda}
		if _, ok := r.cells[k]; !ok {
			r.keys = append(r.keys, k)
		}
		r.cells[k] = append(r.cells[k], run)
	}
	slices.SortFunc(r.keys, func(a, b cellKey) int {
		return cmp.Or(cmp.Compare(a.method, b.method), cmp.Compare(a.lambda, b.lambda))
	})
	return r
}

// largestCell is the number of runs (seeds) of the resampler's largest (method, λ) cell.
func (r *resampler) largestCell() int {
	most := 0
	for _, runs := range r.cells {
		most = max(most, len(runs))
	}
	return most
}

// draw resamples every cell and returns all the drawn runs; cell then reads one cell of that draw.
// The slices are reused by the next draw.
func (r *resampler) draw(rng *rand.Rand) []Run {
	r.all = r.all[:0]
	for _, k := range r.keys {
		src := r.cells[k]
		dst := r.drawn[k][:0]
		for range src {
			dst = append(dst, src[rng.IntN(len(src))])
		}
		r.drawn[k] = dst
		r.all = append(r.all, dst...)
	}
	return r.all
}

func (r *resampler) cell(method string, lambda float64) []Run {
	return r.drawn[cellKey{method, lambda}]
}

// meanLatency is the mean simulated latency of runs in ms.
func meanLatency(rs []Run) float64 {
	sum := 0.0
	for _, r := range rs {
		sum += r.SimLatencyMS
	}
	return sum / float64(len(rs))
}

// ofMethod returns the runs of one method.
func ofMethod(rs []Run, method string) []Run {
	var out []Run
	for _, r := range rs {
		if r.Method == method {
			out = append(out, r)
		}
	}
	return out
}

// bootstrapVerdict fills the 95% intervals of v's per-λ speedups, of its hypervolume ratio and of
// its accuracy-axis geometric mean by the percentile bootstrap over seeds (resampler).
func bootstrapVerdict(v *Verdict, runs []Run) {
	rs := newResampler(runs, func(r Run) bool { return r.Method == UBoost || r.Method == v.Baseline })
	rng := newBootstrapRNG()
	speedups := make([][]float64, len(v.PerLambda))
	var fronts, hvRatios []float64
	for range bootstrapResamples {
		all := rs.draw(rng)
		for i, p := range v.PerLambda {
			speedups[i] = append(speedups[i], meanLatency(rs.cell(v.Baseline, p.Lambda))/meanLatency(rs.cell(UBoost, p.Lambda)))
		}
		ub, bl := ofMethod(all, UBoost), ofMethod(all, v.Baseline)
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

// GridComparison compares one method's runs in two experiment grids (e.g. the same U-Boost grid
// under two sets of search settings, docs/PROTOCOL.md): each grid's hypervolume over all the
// method's runs (PAPER.md §4.1, seeds and λ pooled; lower is better) and the ratio A over B with its
// 95% bootstrap interval over seeds, each grid's (λ) cells resampled on their own. Only the (λ, seed)
// pairs both grids ran are compared, so a grid run at fewer λ or seeds (an ablation, a grid still
// running) is held against the same part of the other; LeftOutA and LeftOutB count the runs left out.
type GridComparison struct {
	Method   string     `json:"method"`
	RunsA    int        `json:"runs_a"`
	RunsB    int        `json:"runs_b"`
	LeftOutA int        `json:"left_out_a,omitempty"`
	LeftOutB int        `json:"left_out_b,omitempty"`
	HVA      float64    `json:"hypervolume_a"`
	HVB      float64    `json:"hypervolume_b"`
	Ratio    float64    `json:"hypervolume_ratio_a_over_b"`
	CI95     [2]float64 `json:"hypervolume_ratio_ci95"`
	Text     string     `json:"text"`
}

// CompareGrids compares method's runs of grid a with those of grid b at the (λ, seed) pairs both
// ran. It fails when the grids share no such pair.
func CompareGrids(a, b []Run, method string) (*GridComparison, error) {
	a, b = ofMethod(a, method), ofMethod(b, method)
	if len(a) == 0 || len(b) == 0 {
		return nil, fmt.Errorf("method %q: grid A has %d runs of it and grid B %d; both need some", method, len(a), len(b))
	}
	type pair struct {
		lambda float64
		seed   int64
	}
	// shared keeps the runs whose (λ, seed) pair the other grid ran too.
	shared := func(runs, other []Run) []Run {
		ran := map[pair]bool{}
		for _, r := range other {
			ran[pair{r.Lambda, r.Seed}] = true
		}
		return slices.DeleteFunc(slices.Clone(runs), func(r Run) bool { return !ran[pair{r.Lambda, r.Seed}] })
	}
	ka, kb := shared(a, b), shared(b, a)
	if len(ka) == 0 {
		return nil, fmt.Errorf("method %q: the grids share no (λ, seed) pair to compare", method)
	}
	c := &GridComparison{Method: method, RunsA: len(ka), RunsB: len(kb), LeftOutA: len(a) - len(ka), LeftOutB: len(b) - len(kb)}
	a, b = ka, kb
	c.HVA, c.HVB = report.HyperVolume(points(a)), report.HyperVolume(points(b))
	if !(c.HVB > 0) {
		return nil, fmt.Errorf("method %q: grid B's hypervolume is %v; the ratio needs a positive one", method, c.HVB)
	}
	c.Ratio = c.HVA / c.HVB
	ra, rb := newResampler(a, nil), newResampler(b, nil)
	rng := newBootstrapRNG()
	var ratios []float64
	for range bootstrapResamples {
		da := report.HyperVolume(points(ra.draw(rng)))
		if db := report.HyperVolume(points(rb.draw(rng))); db > 0 {
			ratios = append(ratios, da/db)
		}
	}
	c.CI95 = interval95(ratios)
	var reading string
	switch {
	case ra.largestCell() < 2 || rb.largestCell() < 2:
		// Seeds are resampled within each λ: a grid with one seed per λ resamples to itself, and
		// the interval shows none of its seed-to-seed spread.
		reading = "a grid has one seed per λ, so the interval leaves out its seed-to-seed spread: no decision"
	case c.CI95[1] < 1:
		reading = "A's hypervolume is lower (better) and the interval excludes 1"
	case c.CI95[0] > 1:
		reading = "B's hypervolume is lower (better) and the interval excludes 1"
	default:
		reading = "the interval includes 1: neither grid is shown better"
	}
	left := ""
	if c.LeftOutA+c.LeftOutB > 0 {
		left = fmt.Sprintf(" (only the (λ, seed) pairs both grids ran: %d of A's runs and %d of B's left out)", c.LeftOutA, c.LeftOutB)
	}
	c.Text = fmt.Sprintf("%s: hypervolume A %.4f (%d runs), B %.4f (%d runs)%s; A/B %.2f× (%s): %s.",
		method, c.HVA, c.RunsA, c.HVB, c.RunsB, left, c.Ratio, ciText(c.CI95), reading)
	return c, nil
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

// ArmInterval is one arm's standing against the others in a comparison of arms (compare --arms,
// docs/CODESIGN.md): Ratio is the arm's geometric-mean hypervolume over the lowest geometric mean
// among the other arms, CI95 its 95% percentile-bootstrap interval and ShareWithin the share of
// resamples in which the ratio is at most the margin asked for (the co-design criterion's 1.10).
type ArmInterval struct {
	Ratio       float64    `json:"ratio_to_lowest_other"`
	CI95        [2]float64 `json:"ratio_ci95"`
	ShareWithin float64    `json:"share_within"`
}

// ArmIntervals resamples arms of independent searches, each arm's hypervolumes (one per seed) drawn
// with replacement on their own: the arms are not paired by seed, since a seed fixes no shared
// randomness between searches of different configurations. It returns one ArmInterval per arm, and
// none (nil) when there are fewer than two arms. The generator is seeded, so a rerun of the same
// comparison gives the same intervals.
func ArmIntervals(hypervolumes [][]float64, margin float64) []ArmInterval {
	if len(hypervolumes) < 2 {
		return nil
	}
	// ratioToOthers is arm i's geometric mean over the lowest of the other arms' geometric means.
	ratioToOthers := func(geo []float64, i int) float64 {
		lowest := math.Inf(1)
		for j, g := range geo {
			if j != i {
				lowest = min(lowest, g)
			}
		}
		return geo[i] / lowest
	}
	geo := make([]float64, len(hypervolumes))
	for i, hv := range hypervolumes {
		geo[i] = stat.GeometricMean(hv, nil)
	}
	out := make([]ArmInterval, len(hypervolumes))
	for i := range out {
		out[i].Ratio = ratioToOthers(geo, i)
	}
	rng := newBootstrapRNG()
	ratios := make([][]float64, len(hypervolumes))
	drawn := make([]float64, 0)
	for range bootstrapResamples {
		for i, hv := range hypervolumes {
			drawn = drawn[:0]
			for range hv {
				drawn = append(drawn, hv[rng.IntN(len(hv))])
			}
			geo[i] = stat.GeometricMean(drawn, nil)
		}
		for i := range hypervolumes {
			ratios[i] = append(ratios[i], ratioToOthers(geo, i))
		}
	}
	for i, rs := range ratios {
		within := 0
		for _, r := range rs {
			if r <= margin {
				within++
			}
		}
		out[i].ShareWithin = float64(within) / float64(len(rs))
		out[i].CI95 = interval95(rs)
	}
	return out
}
