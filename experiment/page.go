package experiment

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/uboost/uboost/report"
)

// lambdas returns the distinct λ values of the aggregates, ascending.
func (s *Summary) lambdas() []float64 {
	var ls []float64
	for _, a := range s.Aggregates {
		if !slices.Contains(ls, a.Lambda) {
			ls = append(ls, a.Lambda)
		}
	}
	slices.Sort(ls)
	return ls
}

// methodNames returns the methods with runs, in report order.
func (s *Summary) methodNames() []string {
	ms := make([]string, len(s.Methods))
	for i, m := range s.Methods {
		ms[i] = m.Method
	}
	return ms
}

// ComparisonTable is the paper's Table 4 for this experiment: per method, mean ± std over seeds of
// test accuracy (%) and simulated batch-1 latency (µs) at each λ, and the method's hypervolume.
func (s *Summary) ComparisonTable() *report.Table {
	ls := s.lambdas()
	t := &report.Table{Title: "Accuracy and simulated latency per λ (mean ± std over seeds)", Header: []string{"method"}}
	for _, l := range ls {
		t.Header = append(t.Header, "acc % λ="+formatFloat(l))
	}
	for _, l := range ls {
		t.Header = append(t.Header, "µs λ="+formatFloat(l))
	}
	t.Header = append(t.Header, "HV")
	for _, m := range s.Methods {
		row := []string{m.Method}
		var lat []string
		for _, l := range ls {
			acc, us := report.Missing, report.Missing
			if a, ok := aggregate(s.Aggregates, m.Method, l); ok {
				acc = meanStdText(100*a.AccuracyMean, 100*a.AccuracyStd, a.N, 1)
				us = meanStdText(1000*a.SimLatencyMeanMS, 1000*a.SimLatencyStdMS, a.N, 1)
			}
			row = append(row, acc)
			lat = append(lat, us)
		}
		row = append(append(row, lat...), report.Fixed(m.HyperVolume, 4))
		t.Rows = append(t.Rows, row)
	}
	t.Notes = []string{
		"Latency: cycle-level simulator, batch 1, on the array each run was searched for; µs as in the paper's CIFAR-10 table.",
		"HV: PAPER.md §4.1, area between (0 ms, 100%) and the Pareto staircase of all runs of the method (seeds pooled), ms × %; lower is better.",
	}
	return t
}

// meanStdText formats mean ± std, or the mean alone for one run.
func meanStdText(mean, std float64, n, prec int) string {
	if n < 2 {
		return report.Fixed(mean, prec)
	}
	return report.Fixed(mean, prec) + " ± " + report.Fixed(std, prec)
}

// UtilizationTable lists the simulated utilization per method and λ and the share of searched widths
// on multiples of the array's columns.
func (s *Summary) UtilizationTable() *report.Table {
	ls := s.lambdas()
	t := &report.Table{Title: "Simulated utilization (mean ± std, %) and widths on the array grid", Header: []string{"method"}}
	for _, l := range ls {
		t.Header = append(t.Header, "util % λ="+formatFloat(l))
	}
	t.Header = append(t.Header, "widths", "on grid", "edges with weights", "separable edges", "depthwise layers")
	for _, m := range s.Methods {
		row := []string{m.Method}
		for _, l := range ls {
			c := report.Missing
			if a, ok := aggregate(s.Aggregates, m.Method, l); ok {
				c = meanStdText(100*a.SimUtilizationMean, 100*a.SimUtilizationStd, a.N, 1)
			}
			row = append(row, c)
		}
		grid := report.Missing
		if m.Widths > 0 {
			grid = report.Percent(m.OnGrid, 0)
		}
		gemm, sep, dw := report.Missing, report.Missing, report.Missing
		if m.Shaped > 0 {
			gemm = report.Fixed(m.GEMMEdgesMean, 1)
			sep, dw = report.Fixed(m.SeparableEdgesMean, 1), report.Fixed(m.DepthwiseMean, 1)
		}
		row = append(row, fmt.Sprint(m.Widths), grid, gemm, sep, dw)
		t.Rows = append(t.Rows, row)
	}
	t.Notes = []string{
		"On grid: searched output widths within 1/16 of the array's columns (±8 channels on 128, ±2 on 32) of a multiple of them, all runs pooled.",
		"Edges with weights, separable edges and depthwise layers: mean per network over the method's runs, counted in each run's arch.json (the network that runs: edges derived as zero and dead edges are not in it; identity and pooling edges have no weights).",
	}
	if widest, cols := s.widthRange(); widest > 0 && widest+GridTolerance(cols) < cols {
		t.Notes = append(t.Notes, fmt.Sprintf("No searched width exceeds %d channels, below one array width (%d columns): "+
			"no width can reach a multiple of the array, so this column cannot separate the methods here.", widest, cols))
	}
	return t
}

// widthRange returns the widest searched width of any run and the smallest array column count.
func (s *Summary) widthRange() (widest, cols int) {
	for _, r := range s.Runs {
		for _, w := range r.Widths {
			widest = max(widest, w)
		}
		if cols == 0 || r.ArrayCols < cols {
			cols = r.ArrayCols
		}
	}
	return widest, cols
}

// SpeedupTable lists, per λ, U-Boost's speedup over the fastest baseline.
func (s *Summary) SpeedupTable() *report.Table {
	t := &report.Table{Title: "U-Boost vs the fastest baseline per λ",
		Header: []string{"λ", "fastest baseline", "baseline µs", "U-Boost µs", "speedup", "Δacc (pt)"}}
	for _, sp := range s.Speedups {
		t.Rows = append(t.Rows, []string{formatFloat(sp.Lambda), sp.Baseline, report.Fixed(1000*sp.BaselineMS, 1),
			report.Fixed(1000*sp.UBoostMS, 1), report.Fixed(sp.Speedup, 2) + "×", fmt.Sprintf("%+.1f", sp.AccuracyDiff)})
	}
	t.Notes = []string{"Speedup: the baseline's mean simulated latency over U-Boost's (above 1: U-Boost is faster). Δacc: U-Boost's mean accuracy minus the baseline's."}
	return t
}

// PairTable lists, per baseline and λ, U-Boost's speedup over that baseline with its 95% bootstrap
// interval over seeds and the accuracy difference, and the accuracy-axis geometric mean.
func (s *Summary) PairTable() *report.Table {
	ls := s.lambdas()
	t := &report.Table{Title: "U-Boost vs each baseline: speedup (95% bootstrap interval over seeds), Δacc", Header: []string{"baseline"}}
	for _, l := range ls {
		t.Header = append(t.Header, "λ="+formatFloat(l))
	}
	t.Header = append(t.Header, "accuracy axis (geomean)")
	for _, v := range s.Verdicts {
		row := []string{v.Baseline}
		for _, l := range ls {
			c := report.Missing
			for _, p := range v.PerLambda {
				if p.Lambda == l {
					c = fmt.Sprintf("%.2f× [%.2f–%.2f], %+.1f pt", p.Speedup, p.CI95[0], p.CI95[1], p.AccuracyDiff)
				}
			}
			row = append(row, c)
		}
		front := report.Missing
		if v.FrontLevels > 0 {
			front = fmt.Sprintf("%.2f× [%.2f–%.2f]", v.FrontGeoMean, v.FrontGeoMeanCI95[0], v.FrontGeoMeanCI95[1])
		}
		t.Rows = append(t.Rows, append(row, front))
	}
	t.Notes = []string{fmt.Sprintf("Speedup: the baseline's mean simulated latency over U-Boost's (above 1: U-Boost is faster); "+
		"[low–high]: 2.5%%–97.5%% percentiles over %d resamplings of each (method, λ) cell's seeds with replacement "+
		"(a point when a cell has one seed). Δacc: U-Boost's mean accuracy minus the baseline's.", s.BootstrapResamples)}
	return t
}

// RunsTable lists every run.
func (s *Summary) RunsTable() *report.Table {
	t := &report.Table{Title: "All runs", Header: []string{"run", "method", "λ", "β", "seed", "acc %", "sim µs",
		"sim util %", "exact µs", "params", "widths"}}
	for _, r := range s.Runs {
		ws := make([]string, len(r.Widths))
		for i, w := range r.Widths {
			ws[i] = fmt.Sprint(w)
		}
		t.Rows = append(t.Rows, []string{r.Dir, r.Method, formatFloat(r.Lambda), formatFloat(r.Beta), fmt.Sprint(r.Seed),
			report.Fixed(100*r.TestAccuracy, 2), report.Fixed(1000*r.SimLatencyMS, 2), report.Fixed(100*r.SimUtilization, 1),
			report.Fixed(1000*r.ExactLatencyMS, 2), fmt.Sprint(r.Params), strings.Join(ws, " ")})
	}
	return t
}

// VerdictText is the report's answer in words: one paragraph per baseline, then the speedup range
// over the fastest baseline.
func (s *Summary) VerdictText() string {
	var b strings.Builder
	for _, v := range s.Verdicts {
		b.WriteString(v.Text + "\n\n")
	}
	if len(s.Speedups) > 0 {
		lo, hi := s.Speedups[0].Speedup, s.Speedups[0].Speedup
		for _, sp := range s.Speedups {
			lo, hi = min(lo, sp.Speedup), max(hi, sp.Speedup)
		}
		fmt.Fprintf(&b, "Against the fastest baseline at each λ, the speedup of U-Boost (that baseline's mean simulated "+
			"latency over U-Boost's) is %.2f–%.2f× (the paper reports 2.8–4× on CIFAR-10; below 1 means U-Boost is slower).", lo, hi)
	}
	if b.Len() == 0 {
		return "No finished runs of U-Boost and a baseline to compare yet."
	}
	return b.String()
}

// Page renders the comparison as report.html: the verdict, the tables, the Pareto plot and the width
// histogram. command is shown as the way to reproduce it.
func (s *Summary) Page(title, command string) (*report.Page, error) {
	p := &report.Page{Title: title}
	p.Sections = append(p.Sections, report.Section{Heading: "Does U-Boost beat the baselines?", Text: s.VerdictText() +
		fmt.Sprintf("\n\n\"Similar accuracy\" means U-Boost's mean accuracy over seeds is at most %.1f point below the "+
			"baseline's at the same λ. Baselines search with β = 0 (as the paper's scripts), U-Boost with its β.", s.SimilarPoints)})
	if len(s.Runs) == 0 {
		return p, nil
	}
	p.Sections = append(p.Sections,
		report.Section{Heading: "Comparison (paper Table 4)", Table: s.ComparisonTable()},
		report.Section{Heading: "Speedup over the fastest baseline", Table: s.SpeedupTable()},
		report.Section{Heading: "Speedup over each baseline", Table: s.PairTable()})
	scatter, err := s.ParetoPlot()
	if err != nil {
		return nil, err
	}
	p.Sections = append(p.Sections, report.Section{Heading: "Accuracy vs simulated latency",
		Text: "Every run (seeds pooled) with each method's Pareto staircase; the hypervolume is the area above it up to 100%.",
		SVGs: [][]byte{scatter}})
	util := report.Section{Heading: "Utilization and channel widths", Table: s.UtilizationTable()}
	if hist, ok, err := s.WidthHistogram(); err != nil {
		return nil, err
	} else if ok {
		util.SVGs = [][]byte{hist}
	}
	p.Sections = append(p.Sections, util,
		report.Section{Heading: "Runs", Table: s.RunsTable(), Pre: command})
	return p, nil
}

// ParetoPlot draws every run in the accuracy (%) – simulated latency (ms) plane with each method's
// Pareto front.
func (s *Summary) ParetoPlot() ([]byte, error) {
	var groups []report.ScatterGroup
	for _, m := range s.methodNames() {
		var rs []Run
		for _, r := range s.Runs {
			if r.Method == m {
				rs = append(rs, r)
			}
		}
		groups = append(groups, report.ScatterGroup{Name: m, Points: points(rs), Front: true})
	}
	return report.ScatterPlot(report.ScatterSpec{Frame: report.Frame{Title: "Accuracy vs simulated latency (batch 1)",
		XLabel: "simulated latency (ms)"}, Groups: groups})
}

// WidthHistogram draws the searched channel widths per method with dashed lines at the multiples of
// the array's columns; ok is false when no run recorded widths.
func (s *Summary) WidthHistogram() (svg []byte, ok bool, err error) {
	var groups []report.HistGroup
	widest, cols := 0, 0
	for _, m := range s.methodNames() {
		var ws []float64
		for _, r := range s.Runs {
			if r.Method != m {
				continue
			}
			cols = r.ArrayCols
			for _, w := range r.Widths {
				ws = append(ws, float64(w))
				widest = max(widest, w)
			}
		}
		if len(ws) > 0 {
			groups = append(groups, report.HistGroup{Name: m, Values: ws})
		}
	}
	if len(groups) == 0 {
		return nil, false, nil
	}
	var lines []float64
	for c := cols; cols > 0 && c <= widest+cols; c += cols {
		lines = append(lines, float64(c))
	}
	svg, err = report.Histogram(report.HistSpec{Frame: report.Frame{Title: "Searched channel widths",
		XLabel: "output channels", VLines: lines}, Groups: groups, BinWidth: 8})
	return svg, err == nil, err
}

// WriteMarkdown writes the verdict and the comparison, speedup and utilization tables as Markdown (the
// experiment's report.md, ready to paste into docs/RESULTS.md).
func (s *Summary) WriteMarkdown(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "%s\n\n", strings.TrimSpace(s.VerdictText())); err != nil {
		return err
	}
	if len(s.Runs) == 0 {
		return nil
	}
	for _, t := range []*report.Table{s.ComparisonTable(), s.SpeedupTable(), s.PairTable(), s.UtilizationTable()} {
		if err := t.WriteMarkdown(w); err != nil {
			return err
		}
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
	}
	return nil
}
