package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	gtrain "github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/spf13/cobra"

	"github.com/uboost/uboost/data"
	"github.com/uboost/uboost/engine"
	"github.com/uboost/uboost/pipeline"
	"github.com/uboost/uboost/sim"
)

// runPipeline is `uboost search --stage all`: search, final training, evaluation and the cost report in
// one run directory.
func runPipeline(cmd *cobra.Command, f *searchFlags) error {
	if f.threads > 0 {
		engine.SetThreads(f.threads)
	}
	scfg, err := f.config(cmd)
	if err != nil {
		return err
	}
	tcfg, err := pipeline.TrainPreset(f.preset)
	if err != nil {
		return fmt.Errorf("flag --preset: %w", err)
	}
	tcfg.Seed = uint64(f.seed)
	if f.trainEpochs > 0 {
		tcfg.Epochs = f.trainEpochs
	}
	if f.trainBatchFinal > 0 {
		tcfg.Batch = f.trainBatchFinal
	}
	tcfg.Threads = f.threads
	if _, err := data.ParseSpec(f.dataSpec); err != nil {
		return fmt.Errorf("flag --data: %w", err)
	}
	cfg := pipeline.Config{Search: scfg, Train: tcfg, Data: f.dataSpec, Seed: f.seed, Sim: sim.Options{}, Resume: f.resume, TrainLimit: f.trainLimit}
	stderr := cmd.ErrOrStderr()
	cfg.Warn = warnTo(stderr)
	if !f.asJSON {
		cfg.Progress = progressPrinter(stderr)
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
	fmt.Fprintf(w, "  simulator   %.4f ms, utilization %.2f%% (batch 1, %dx%d)\n", res.Simulator.LatencyMs, 100*res.Simulator.Utilization,
		res.Accelerator.Rows, res.Accelerator.Cols)
	fmt.Fprintf(w, "  time        search %.0f s, training %.0f s\n", res.SearchSeconds, res.TrainSeconds)
	fmt.Fprintf(w, "  report      %s\n", filepath.Join(f.out, pipeline.ReportFile))
	return nil
}
