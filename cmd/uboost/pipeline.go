package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	gtrain "github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/spf13/cobra"

	"github.com/uboost/uboost/engine"
	"github.com/uboost/uboost/pipeline"
)

// runPipeline is `uboost search --stage all`: search, final training, evaluation and the cost report in
// one run directory.
func runPipeline(cmd *cobra.Command, f *searchFlags) error {
	if f.threads > 0 {
		engine.SetThreads(f.threads)
	}
	pc, err := f.runConfig(cmd)
	if err != nil {
		return err
	}
	cfg := *pc
	stderr := cmd.ErrOrStderr()
	cfg.Warn = warnTo(stderr)
	if !f.asJSON {
		cfg.Progress = progressPrinter(stderr, cfg.Search)
		cfg.OnLoop = func(loop *gtrain.Loop) { attachProgress(loop, stderr, "auto", false) }
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := pipeline.Run(ctx, cfg, f.out)
	if err != nil {
		return err
	}
	if f.asJSON {
		return writeJSON(cmd.OutOrStdout(), res)
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "\nrun: %s\n", f.out)
	fmt.Fprintf(w, "  network     %s (%d parameters, widths %v)\n", filepath.Join(f.out, pipeline.ArchFile), res.Params, res.Widths)
	fmt.Fprintf(w, "  test top-1  %.2f%% (top-5 %.2f%%)\n", 100*res.TestAccuracy, 100*res.Top5)
	fmt.Fprintf(w, "  exact       %.4f ms, utilization %.2f%%\n", res.Exact.LatencyMs, 100*res.Exact.Utilization)
	fmt.Fprintf(w, "  simulator   %.4f ms, utilization %.2f%% (batch 1, %s)\n", res.Simulator.LatencyMs, 100*res.Simulator.Utilization,
		res.Accelerator.Shape())
	if d := res.SimulatorDefault; d != nil {
		fmt.Fprintf(w, "              %.4f ms, utilization %.2f%% with the default schedule\n", d.LatencyMs, 100*d.Utilization)
	}
	if c := res.Codesign; c != nil {
		fmt.Fprintf(w, "  co-design   chose %s of %v (its own network %s, searched in %.0f s)\n", c.Array, c.Arrays,
			filepath.Join(f.out, c.Arch), c.Seconds)
	}
	fmt.Fprintf(w, "  time        search %.0f s, training %.0f s\n", res.SearchSeconds, res.TrainSeconds)
	fmt.Fprintf(w, "  report      %s\n", filepath.Join(f.out, pipeline.ReportFile))
	return nil
}
