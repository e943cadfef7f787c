package main

import (
	"fmt"
	"math"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/uboost/uboost/experiment"
	"github.com/uboost/uboost/report"
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
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "compare RUN_DIR...",
		Short: "Compare finished runs: accuracy, simulated latency and utilization, array, hypervolume, time",
		Long: `compare reads each run directory's result.json (and arch.json) written by "uboost search" and prints
one row per run: the array it was searched for (the chosen one for a co-design search), test accuracy,
latency and utilization at batch 1 on the cycle-level simulator, the run's own hypervolume (simulated
ms × (100 − accuracy %), PAPER.md §4.1 for one point; lower is better) and its ratio to the lowest, the
separable edges it kept, and the search and training times. Use it for comparisons that are not a
method grid, such as one co-design search against one search per candidate array (docs/CODESIGN.md).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, dirs []string) error {
			rows := make([]compareRow, len(dirs))
			best := math.Inf(1)
			for i, d := range dirs {
				r, err := experiment.ReadRunDir(d)
				if err != nil {
					return err
				}
				hv := report.HyperVolume([]report.Point{{Runtime: r.SimLatencyMS, Accuracy: 100 * r.TestAccuracy}})
				rows[i] = compareRow{Dir: filepath.Clean(d), Run: r, HyperVolume: hv}
				best = min(best, hv)
			}
			for i := range rows {
				rows[i].HVRatio = rows[i].HyperVolume / best
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
				t.Rows = append(t.Rows, []string{r.Dir, fmt.Sprintf("%dx%d", r.ArrayRows, r.ArrayCols),
					report.Fixed(100*r.TestAccuracy, 2), report.Fixed(1000*r.SimLatencyMS, 2), report.Fixed(100*r.SimUtilization, 1),
					report.Fixed(r.HyperVolume, 4), report.Fixed(r.HVRatio, 3), sep,
					report.Fixed(r.SearchSeconds, 0), report.Fixed(r.TrainSeconds, 0)})
			}
			return t.WriteMarkdown(cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a Markdown table")
	return cmd
}
