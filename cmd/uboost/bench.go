package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/engine"
	"github.com/uboost/uboost/engine/stepbench"
	"github.com/uboost/uboost/search"
)

func init() { root.AddCommand(newBenchCmd()) }

// newBenchCmd is `uboost bench`, the home of the speed measurements.
func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure how fast uboost's compute engine runs",
	}
	cmd.AddCommand(newBenchStepCmd())
	return cmd
}

func newBenchStepCmd() *cobra.Command {
	cfg := stepbench.DefaultConfig()
	var asJSON bool
	var profile string
	cmd := &cobra.Command{
		Use:   "step",
		Short: "Time one full training step (forward, backward, both optimizers) of a CNN",
		Long: `Times full training steps — forward, backward, SGD on the weights and Adam on the architecture
variables — of a model on the engine and prints images_per_second, seconds_per_step (median of the timed
steps, after one untimed step that compiles the graph), peak_rss_mb (the process's peak resident memory)
and cpu_seconds_per_step (user+system CPU time per timed step, steadier than wall time on a shared machine).

--model probe is the design probe's two-block supernet on 32×32×3 inputs; bench/torch_probe.py is the
same network in PyTorch, for the side-by-side. --model supernet times the search's own supernet (demo preset, micro stage, weight phase) at --batch.
GOMLX_BACKEND selects another GoMLX backend (e.g. xla:cuda in a binary built with -tags xla).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if profile != "" {
				f, err := os.Create(profile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return fmt.Errorf("--cpuprofile: %w", err)
				}
				defer pprof.StopCPUProfile()
			}
			if !slices.Contains(benchModels, cfg.Model) {
				return fmt.Errorf("flag --model: unknown model %q (want %s)", cfg.Model, strings.Join(benchModels, " or "))
			}
			run := stepbench.Run
			if cfg.Model == "supernet" {
				run = benchSupernet
			}
			res, err := run(cfg)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				return enc.Encode(res)
			}
			fmt.Fprintf(out, "model %s, batch %d, %d threads, %s, backend %s\n", res.Model, res.Batch, res.Threads, res.BLAS, res.Backend)
			fmt.Fprintf(out, "images_per_second %.1f\nseconds_per_step %.4f\npeak_rss_mb %.0f\n",
				res.ImagesPerSecond, res.SecondsPerStep, res.PeakRSSMB)
			fmt.Fprintf(out, "cpu_seconds_per_step %.4f\n", res.CPUSecondsStep)
			fmt.Fprintf(out, "first_step_seconds %.3f\n", res.FirstStepS)
			if len(res.Profile) > 0 {
				fmt.Fprintf(out, "\nper-step op profile (ConvGeneral[...] lines split the ConvGeneral total by kernel):\n")
				for _, p := range res.Profile {
					fmt.Fprintf(out, "  %-40s %7.1f calls %8.4f s %5.1f%%\n", p.Op, p.CallsPerStep, p.SecondsStep,
						100*p.SecondsStep/res.SecondsPerStep)
				}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.Model, "model", cfg.Model, "model to time: probe, or supernet (the demo preset's micro-stage supernet, weight phase, 28×28×1)")
	fl.IntVar(&cfg.Batch, "batch", cfg.Batch, "images per step")
	fl.IntVar(&cfg.Channels, "channels", cfg.Channels, "channels of every layer of the probe")
	fl.IntVar(&cfg.Threads, "threads", runtime.NumCPU(), "cores the engine may use")
	fl.IntVar(&cfg.Steps, "steps", cfg.Steps, "timed steps (after one untimed compile step)")
	fl.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the weights, data and Gumbel noise")
	fl.BoolVar(&asJSON, "json", false, "write one JSON document to stdout")
	fl.BoolVar(&cfg.ProfileOps, "op-profile", false, "time each op kind over the timed steps and print the table")
	fl.StringVar(&profile, "cpuprofile", "", "write a Go CPU profile of the whole run to this file")
	return cmd
}

// benchSupernet times the weight-phase step of the demo preset's micro-stage supernet (all 8 ops on
// every edge) on 28×28×1 images, the heaviest step of the demo search.
func benchSupernet(cfg stepbench.Config) (*stepbench.Result, error) {
	if cfg.Batch < 1 || cfg.Steps < 1 {
		return nil, fmt.Errorf("bench: batch %d, steps %d: both must be positive", cfg.Batch, cfg.Steps)
	}
	if cfg.Threads > 0 {
		engine.SetThreads(cfg.Threads)
	}
	scfg, err := search.Preset("demo")
	if err != nil {
		return nil, err
	}
	scfg.BatchSize = cfg.Batch
	scfg.WithSeed(int64(cfg.Seed))
	start := time.Now()
	st, err := search.NewStepper(scfg, search.StageMicro, "weights", arch.Shape{H: 28, W: 28, C: 1}, 10)
	if err != nil {
		return nil, err
	}
	res := &stepbench.Result{Model: "supernet", Backend: engine.Backend().Name(), Batch: cfg.Batch,
		Threads: engine.Threads(), Steps: cfg.Steps, FirstStepS: time.Since(start).Seconds()}
	if ok, lib := engine.BLAS(); ok {
		res.BLAS = lib
	} else {
		res.BLAS = "pure-Go GEMM"
	}
	cpu0 := stepbench.CPUSeconds()
	for range cfg.Steps {
		t := time.Now()
		if err := st.Step(); err != nil {
			return nil, err
		}
		res.StepSeconds = append(res.StepSeconds, time.Since(t).Seconds())
	}
	res.CPUSecondsStep = (stepbench.CPUSeconds() - cpu0) / float64(cfg.Steps)
	sorted := slices.Clone(res.StepSeconds)
	slices.Sort(sorted)
	res.SecondsPerStep = sorted[len(sorted)/2]
	res.ImagesPerSecond = float64(cfg.Batch) / res.SecondsPerStep
	res.PeakRSSMB = stepbench.PeakRSSMB()
	return res, nil
}

// benchModels are the models `uboost bench step --model` times.
var benchModels = []string{"probe", "supernet"}
