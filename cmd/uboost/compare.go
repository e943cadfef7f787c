package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/uboost/uboost/experiment"
	"github.com/uboost/uboost/report"
	"gonum.org/v1/gonum/stat"
)

func init() { root.AddCommand(newCompareCmd()) }

// compareRow is one run of `uboost compare --json`.
type compareRow struct {
	Dir string `json:"dir"`
	experiment.Run
	// HyperVolume is the run's own accuracy–latency hypervolume (PAPER.md §4.1 for one point:
	// simulated ms × (100 − accuracy %)); lower is better. HVRatio is it over the lowest of the runs.
	HyperVolume float64 `json:"hypervolume"`
	HVRatio     float64 `json:"hypervolume_ratio"`
}

func newCompareCmd() *cobra.Command {
	var asJSON, grids, finished, arms bool
	var method, svgPath, ratioSVGPath string
	var within float64
	cmd := &cobra.Command{
		Use:   "compare RUN_DIR... | compare --grids EXPERIMENT_A EXPERIMENT_B",
		Short: "Compare finished runs: accuracy, simulated latency and utilization, array, hypervolume, time",
		Long: `compare reads each run directory's result.json (and arch.json) written by "uboost search" and prints
one row per run: the array it was searched for (the chosen one for a co-design search), test accuracy,
latency and utilization at batch 1 on the cycle-level simulator, the run's own hypervolume (simulated
ms × (100 − accuracy %), PAPER.md §4.1 for one point; lower is better) and its ratio to the lowest, the
separable edges it kept, and the search and training times. Use it for comparisons that are not a
method grid, such as one co-design search against one search per candidate array (docs/CODESIGN.md).

With --grids it compares one method's runs (--method) in two experiment directories written by
"uboost experiment", e.g. the same U-Boost grid under two sets of search settings (docs/PROTOCOL.md):
each grid's hypervolume over all the method's runs and the ratio A/B with its 95% bootstrap interval
over seeds.

With --arms the run directories are grouped into arms by their names less a trailing "-s<seed>"
(codesign-s0, codesign-s1 and 32x32-s0, 32x32-s1 are the arms codesign and 32x32): each arm's
geometric mean of the runs' hypervolumes and its ratio to the lowest arm's, then one row per seed
with every arm's hypervolume and each arm's ratio to that seed's lowest (docs/CODESIGN.md, third
comparison). Each arm's geometric mean is also set against the lowest of the other arms', with a 95%
bootstrap interval (each arm's seeds resampled on their own) and the share of resamples in which the
arm is within --within of that lowest (the co-design criterion's 1.10).

--svg FILE draws the runs in the accuracy–simulated latency plane (one colour per arm with --arms,
each arm's Pareto front drawn); --ratio-svg FILE (with --arms) draws each arm's hypervolume over its
seed's lowest, seed by seed, with a dashed line at --within.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, dirs []string) error {
			// A flag of the other mode would be silently ignored: refuse it instead.
			if cmd.Flags().Changed("within") && !arms {
				return fmt.Errorf("flag --within: is the margin of --arms")
			}
			if cmd.Flags().Changed("method") && !grids {
				return fmt.Errorf("flag --method: chooses the runs of --grids")
			}
			if ratioSVGPath != "" && !arms {
				return fmt.Errorf("flag --ratio-svg: plots the seeds of --arms")
			}
			if svgPath != "" && grids {
				return fmt.Errorf("flag --svg: plots run directories, not --grids")
			}
			if grids {
				return compareGrids(cmd, dirs, method, asJSON)
			}
			var rows []compareRow
			best, skipped := math.Inf(1), 0
			for _, d := range dirs {
				r, err := experiment.ReadRunDir(d)
				if err != nil {
					// A run directory whose result.json is missing or incomplete is an unfinished run
					// (as experiment.Collect reads it); a path that is no directory stays an error.
					if st, statErr := os.Stat(d); finished && statErr == nil && st.IsDir() {
						skipped++
						continue
					}
					return err
				}
				hv := report.HyperVolume([]report.Point{{Runtime: r.SimLatencyMS, Accuracy: 100 * r.TestAccuracy}})
				rows = append(rows, compareRow{Dir: filepath.Clean(d), Run: r, HyperVolume: hv})
				best = min(best, hv)
			}
			if skipped > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "compare: %d unfinished run directories left out\n", skipped)
			}
			if len(rows) == 0 {
				return fmt.Errorf("no finished run among the %d directories", len(dirs))
			}
			for i := range rows {
				rows[i].HVRatio = rows[i].HyperVolume / best
			}
			if svgPath != "" {
				if err := createFile(svgPath, func(w io.Writer) error { return writeScatter(w, rows, arms) }); err != nil {
					return err
				}
			}
			if arms {
				return compareArms(cmd, rows, within, asJSON, ratioSVGPath)
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), rows)
			}
			t := &report.Table{Header: []string{"run", "array", "acc %", "sim µs", "sim util %", "HV", "HV / lowest",
				"separable edges", "search s", "train s"}}
			for _, r := range rows {
				sep := report.Missing
				if r.Shape != nil {
					sep = fmt.Sprintf("%d of %d", r.Shape.SeparableEdges, r.Shape.Edges)
				}
				t.Rows = append(t.Rows, []string{r.Dir, r.Array,
					report.Fixed(100*r.TestAccuracy, 2), report.Fixed(1000*r.SimLatencyMS, 2), report.Fixed(100*r.SimUtilization, 1),
					report.Fixed(r.HyperVolume, 4), report.Fixed(r.HVRatio, 3), sep,
					report.Fixed(r.SearchSeconds, 0), report.Fixed(r.TrainSeconds, 0)})
			}
			return t.WriteMarkdown(cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a Markdown table")
	cmd.Flags().BoolVar(&finished, "finished", false, "leave out run directories without a complete result.json (the unfinished runs of a live grid) instead of failing")
	cmd.Flags().BoolVar(&arms, "arms", false, "group the runs into arms by directory name less a trailing -s<seed> and compare the arms' geometric-mean hypervolumes")
	cmd.Flags().Float64Var(&within, "within", 1.10, "with --arms: the margin over the lowest other arm whose share of resamples is reported")
	cmd.Flags().StringVar(&svgPath, "svg", "", "also write an SVG plot of the runs' test accuracy against simulated latency to this file")
	cmd.Flags().StringVar(&ratioSVGPath, "ratio-svg", "", "with --arms: also write an SVG plot of each arm's hypervolume over its seed's lowest to this file")
	cmd.Flags().BoolVar(&grids, "grids", false, "compare two experiment directories' runs of --method instead of run directories")
	cmd.Flags().StringVar(&method, "method", experiment.UBoost, "with --grids: the method whose runs are compared")
	return cmd
}

// compareGrids is compare --grids: method's runs in two experiment directories.
func compareGrids(cmd *cobra.Command, dirs []string, method string, asJSON bool) error {
	if len(dirs) != 2 {
		return fmt.Errorf("flag --grids: want two experiment directories, got %d", len(dirs))
	}
	var runs [2][]experiment.Run
	for i, d := range dirs {
		if err := experiment.CheckDir(d); err != nil {
			return fmt.Errorf("flag --grids: %w", err)
		}
		var err error
		if runs[i], err = experiment.Collect(d); err != nil {
			return err
		}
	}
	c, err := experiment.CompareGrids(runs[0], runs[1], method)
	if err != nil {
		return fmt.Errorf("A = %s, B = %s: %w", dirs[0], dirs[1], err)
	}
	if asJSON {
		return writeJSON(cmd.OutOrStdout(), c)
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "A = %s\nB = %s\n%s\n", dirs[0], dirs[1], c.Text)
	return err
}

// armSeed splits a run directory's name into its arm and seed: "codesign-s2" is arm "codesign",
// seed "2"; a name without the suffix is an arm of its own with seed "".
var armSeed = regexp.MustCompile(`^(.*)-s([0-9]+)$`)

// compareArm is one arm of compare --arms.
type compareArm struct {
	Arm string `json:"arm"`
	// Seeds are the arm's seeds, in the order of the runs given; HyperVolumes the runs' own.
	Seeds        []string  `json:"seeds"`
	HyperVolumes []float64 `json:"hypervolumes"`
	// GeoMeanHV is the geometric mean of HyperVolumes, GeoMeanRatio it over the lowest arm's.
	GeoMeanHV    float64 `json:"geomean_hypervolume"`
	GeoMeanRatio float64 `json:"geomean_ratio"`
	// Against is the arm's geometric mean over the lowest other arm's, with its bootstrap interval
	// (absent with one arm).
	Against *experiment.ArmInterval `json:"against_lowest_other,omitempty"`
}

// compareSeed is one seed of compare --arms: each arm's hypervolume (absent where the arm has no
// run of the seed) and its ratio to the seed's lowest.
type compareSeed struct {
	Seed   string             `json:"seed"`
	HV     map[string]float64 `json:"hypervolume"`
	Ratio  map[string]float64 `json:"ratio"`
	Lowest string             `json:"lowest_arm"`
}

// compareArms is compare --arms over finished rows.
func compareArms(cmd *cobra.Command, rows []compareRow, within float64, asJSON bool, ratioSVGPath string) error {
	if !(within > 0) || math.IsInf(within, 1) {
		return fmt.Errorf("flag --within: want a finite margin above 0, got %v", within)
	}
	var order []string // arms in the order of first appearance
	byArm := map[string]*compareArm{}
	var seeds []string
	bySeed := map[string]*compareSeed{}
	for _, r := range rows {
		arm, seed := armOf(r.Dir)
		a := byArm[arm]
		if a == nil {
			a = &compareArm{Arm: arm}
			byArm[arm] = a
			order = append(order, arm)
		}
		if slices.Contains(a.Seeds, seed) {
			return fmt.Errorf("flag --arms: arm %q has two runs of seed %q (%s)", arm, seed, r.Dir)
		}
		a.Seeds = append(a.Seeds, seed)
		a.HyperVolumes = append(a.HyperVolumes, r.HyperVolume)
		s := bySeed[seed]
		if s == nil {
			s = &compareSeed{Seed: seed, HV: map[string]float64{}, Ratio: map[string]float64{}}
			bySeed[seed] = s
			seeds = append(seeds, seed)
		}
		s.HV[arm] = r.HyperVolume
	}
	lowest := math.Inf(1)
	for _, a := range byArm {
		a.GeoMeanHV = stat.GeometricMean(a.HyperVolumes, nil)
		lowest = min(lowest, a.GeoMeanHV)
	}
	out := struct {
		Arms  []*compareArm  `json:"arms"`
		Seeds []*compareSeed `json:"seeds"`
	}{}
	hvs := make([][]float64, len(order))
	for i, name := range order {
		byArm[name].GeoMeanRatio = byArm[name].GeoMeanHV / lowest
		out.Arms = append(out.Arms, byArm[name])
		hvs[i] = byArm[name].HyperVolumes
	}
	for i, iv := range experiment.ArmIntervals(hvs, within) {
		out.Arms[i].Against = &iv
	}
	for _, seed := range seeds {
		s := bySeed[seed]
		best := math.Inf(1)
		for _, name := range order {
			if hv, ok := s.HV[name]; ok && hv < best {
				best, s.Lowest = hv, name
			}
		}
		for name, hv := range s.HV {
			s.Ratio[name] = hv / best
		}
		out.Seeds = append(out.Seeds, s)
	}
	if ratioSVGPath != "" {
		if err := createFile(ratioSVGPath, func(w io.Writer) error { return writeRatios(w, order, out.Seeds, within) }); err != nil {
			return err
		}
	}
	if asJSON {
		return writeJSON(cmd.OutOrStdout(), out)
	}
	w := cmd.OutOrStdout()
	t := &report.Table{Header: []string{"arm", "runs", "geomean HV", "geomean / lowest",
		"/ lowest other (95% interval)", fmt.Sprintf("resamples ≤ %s×", report.Fixed(within, 2))}}
	for _, a := range out.Arms {
		against, share := report.Missing, report.Missing
		if iv := a.Against; iv != nil {
			against = fmt.Sprintf("%s (%s–%s)", report.Fixed(iv.Ratio, 3), report.Fixed(iv.CI95[0], 2), report.Fixed(iv.CI95[1], 2))
			share = report.Fixed(100*iv.ShareWithin, 0) + "%"
		}
		t.Rows = append(t.Rows, []string{a.Arm, fmt.Sprint(len(a.HyperVolumes)), report.Fixed(a.GeoMeanHV, 4),
			report.Fixed(a.GeoMeanRatio, 3), against, share})
	}
	if err := t.WriteMarkdown(w); err != nil {
		return err
	}
	fmt.Fprintln(w)
	st := &report.Table{Header: append([]string{"seed"}, order...)}
	st.Header = append(st.Header, "lowest")
	for _, s := range out.Seeds {
		row := []string{s.Seed}
		for _, name := range order {
			cell := report.Missing
			if hv, ok := s.HV[name]; ok {
				cell = fmt.Sprintf("%s (%s×)", report.Fixed(hv, 4), report.Fixed(s.Ratio[name], 3))
			}
			row = append(row, cell)
		}
		st.Rows = append(st.Rows, append(row, s.Lowest))
	}
	return st.WriteMarkdown(w)
}

// armOf is the arm a run directory belongs to under --arms (its name less "-s<seed>") and its seed.
func armOf(dir string) (arm, seed string) {
	arm = filepath.Base(dir)
	if m := armSeed.FindStringSubmatch(arm); m != nil {
		arm, seed = m[1], m[2]
	}
	return arm, seed
}

// scatterGroups are the runs in the accuracy (%) – simulated latency (µs) plane: one group per arm
// (with its Pareto front) under --arms, else one per run directory.
func scatterGroups(rows []compareRow, arms bool) []report.ScatterGroup {
	var groups []report.ScatterGroup
	index := map[string]int{}
	for _, r := range rows {
		name := r.Dir
		if arms {
			name, _ = armOf(r.Dir)
		}
		i, ok := index[name]
		if !ok {
			i = len(groups)
			index[name] = i
			groups = append(groups, report.ScatterGroup{Name: name, Front: arms})
		}
		groups[i].Points = append(groups[i].Points, report.Point{Label: r.Dir, Runtime: 1000 * r.SimLatencyMS, Accuracy: 100 * r.TestAccuracy})
	}
	return groups
}

// writeScatter draws scatterGroups.
func writeScatter(w io.Writer, rows []compareRow, arms bool) error {
	svg, err := report.ScatterPlot(report.ScatterSpec{Frame: report.Frame{Title: "Test accuracy vs simulated latency (batch 1)",
		XLabel: "simulated latency (µs)"}, Groups: scatterGroups(rows, arms)})
	if err != nil {
		return err
	}
	_, err = w.Write(svg)
	return err
}

// ratioSeries is each arm's hypervolume over its seed's lowest against the seed number, seeds in the
// order given; an arm without a run of a seed has no point there.
func ratioSeries(arms []string, seeds []*compareSeed) ([]report.Series, error) {
	series := make([]report.Series, len(arms))
	for i, name := range arms {
		series[i].Name = name
	}
	for _, s := range seeds {
		x, err := strconv.Atoi(s.Seed)
		if err != nil {
			return nil, fmt.Errorf("flag --ratio-svg: plots seeds, and a run directory's name has no -s<seed> suffix")
		}
		for i, name := range arms {
			if r, ok := s.Ratio[name]; ok {
				series[i].X, series[i].Y = append(series[i].X, float64(x)), append(series[i].Y, r)
			}
		}
	}
	return series, nil
}

// writeRatios draws ratioSeries with a dashed line at the margin within.
func writeRatios(w io.Writer, arms []string, seeds []*compareSeed, within float64) error {
	series, err := ratioSeries(arms, seeds)
	if err != nil {
		return err
	}
	svg, err := report.LinePlot(report.LineSpec{Frame: report.Frame{Title: "Hypervolume over the seed's lowest arm",
		XLabel: "seed", YLabel: "hypervolume / seed's lowest", HLines: []float64{within}}, Series: series, Marks: true})
	if err != nil {
		return err
	}
	_, err = w.Write(svg)
	return err
}
