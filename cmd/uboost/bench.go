package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/engine"
	"github.com/uboost/uboost/engine/stepbench"
	"github.com/uboost/uboost/internal/atomicfile"
	"github.com/uboost/uboost/search"
	"github.com/uboost/uboost/train"
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
	var profile, archPath string
	sn := supernetBench{preset: "demo", stage: string(search.StageMicro), input: arch.Shape{H: 28, W: 28, C: 1}}
	cmd := &cobra.Command{
		Use:   "step",
		Short: "Time one full training step (forward, backward, both optimizers) of a CNN",
		Long: `Times full training steps — forward, backward and the optimizer updates (SGD on the weights, Adam
on any architecture variables) — of a model on the engine and prints images_per_second, seconds_per_step (median of the timed
steps, after one untimed step that compiles the graph), peak_rss_mb (the process's peak resident memory)
and cpu_seconds_per_step (user+system CPU time per timed step, steadier than wall time on a shared machine).

--model probe is the design probe's two-block supernet on 32×32×3 inputs; bench/torch_probe.py is the
same network in PyTorch, for the side-by-side. --model supernet times the weight-phase step of a search
preset's own supernet (--preset, --stage, --input), at the preset's batch size unless --batch is given:
the step the experiments spend their time in. --model arch times the training step of "uboost train"
(its default recipe: SGD with Nesterov momentum, batch 128) of the network in --arch FILE, on
synthetic images of its input shape: how fast your own network trains on this machine.
GOMLX_BACKEND selects another GoMLX backend (e.g. xla:cuda in a binary built with -tags xla).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if !slices.Contains(benchModels, cfg.Model) {
				return fmt.Errorf("flag --model: unknown model %q (want %s)", cfg.Model, strings.Join(benchModels, " or "))
			}
			if profile != "" {
				// The profile (kilobytes) is kept in memory and written atomically when the run ends.
				var buf bytes.Buffer
				if err := pprof.StartCPUProfile(&buf); err != nil {
					return fmt.Errorf("--cpuprofile: %w", err)
				}
				defer func() {
					pprof.StopCPUProfile()
					if werr := atomicfile.WriteBytes(profile, buf.Bytes()); err == nil {
						err = werr
					}
				}()
			}
			if cfg.Model != "arch" && archPath != "" {
				return fmt.Errorf("flag --arch: only with --model arch (got --model %s)", cfg.Model)
			}
			run := stepbench.Run
			switch cfg.Model {
			case "supernet":
				if !cmd.Flags().Changed("batch") {
					cfg.Batch = 0 // the preset's
				}
				run = sn.run
			case "arch":
				if !cmd.Flags().Changed("batch") {
					cfg.Batch = train.DefaultConfig().Batch
				}
				run = func(cfg stepbench.Config) (*stepbench.Result, error) { return runArchBench(archPath, cfg) }
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
	fl.StringVar(&cfg.Model, "model", cfg.Model, "model to time: probe, supernet (a search preset's supernet, weight phase) or arch (--arch)")
	fl.IntVar(&cfg.Batch, "batch", cfg.Batch, "images per step (--model supernet: the preset's batch size unless set; --model arch: uboost train's)")
	fl.StringVar(&archPath, "arch", "", "--model arch: the arch.json whose training step to time")
	fl.StringVar(&sn.preset, "preset", sn.preset, "--model supernet: search preset ("+strings.Join(search.Presets, ", ")+")")
	fl.StringVar(&sn.stage, "stage", sn.stage, "--model supernet: search stage, micro (every op on every edge) or channel")
	fl.Var(&shapeFlag{&sn.input}, "input", "--model supernet: input images, HxWxC")
	fl.IntVar(&cfg.Channels, "channels", cfg.Channels, "channels of every layer of the probe")
	fl.IntVar(&cfg.Threads, "threads", runtime.NumCPU(), "cores the engine may use")
	fl.IntVar(&cfg.Steps, "steps", cfg.Steps, "timed steps (after one untimed compile step)")
	fl.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the weights, data and Gumbel noise")
	fl.BoolVar(&asJSON, "json", false, "write one JSON document to stdout")
	fl.BoolVar(&cfg.ProfileOps, "op-profile", false, "time each op kind over the timed steps and print the table")
	fl.StringVar(&profile, "cpuprofile", "", "write a Go CPU profile of the whole run to this file")
	return cmd
}

// supernetBench is the setting of `bench step --model supernet`.
type supernetBench struct {
	preset, stage string
	input         arch.Shape
}

// run times the weight-phase step of the preset's supernet for the stage (the micro stage carries all
// candidate ops on every edge) on synthetic input-shaped images with 10 classes.
func (sb supernetBench) run(cfg stepbench.Config) (*stepbench.Result, error) {
	if cfg.Batch < 0 || cfg.Steps < 1 {
		return nil, fmt.Errorf("bench: batch %d, steps %d: want batch ≥ 1 and steps ≥ 1", cfg.Batch, cfg.Steps)
	}
	stage := search.Stage(sb.stage)
	if stage != search.StageMicro && stage != search.StageChannel {
		return nil, fmt.Errorf("bench: --stage %q: want %s or %s", sb.stage, search.StageMicro, search.StageChannel)
	}
	if cfg.Threads > 0 {
		engine.SetThreads(cfg.Threads)
	}
	scfg, err := search.Preset(sb.preset)
	if err != nil {
		return nil, fmt.Errorf("bench: --preset: %w", err)
	}
	if cfg.Batch > 0 {
		scfg.BatchSize = cfg.Batch
	}
	scfg.WithSeed(int64(cfg.Seed))
	start := time.Now()
	st, err := search.NewStepper(scfg, stage, "weights", sb.input, 10)
	if err != nil {
		return nil, err
	}
	built := time.Since(start)
	res := &stepbench.Result{Model: "supernet " + sb.preset + " " + sb.stage, Backend: engine.Backend().Name(),
		Batch: scfg.BatchSize}
	if err := stepbench.Measure(res, cfg, st.Step); err != nil {
		return nil, err
	}
	res.FirstStepS += built.Seconds() // building the supernet is part of getting to the first step
	return res, nil
}

// runArchBench times the training step `uboost train` runs (its default recipe) of the network in path, on
// synthetic images of the network's input shape.
func runArchBench(path string, cfg stepbench.Config) (*stepbench.Result, error) {
	if path == "" {
		return nil, errors.New("bench: --model arch needs --arch FILE (an arch.json)")
	}
	if cfg.Batch < 1 {
		return nil, fmt.Errorf("bench: --batch %d: want at least 1", cfg.Batch)
	}
	net, err := arch.Load(path)
	if err != nil {
		return nil, err
	}
	if cfg.Threads > 0 {
		engine.SetThreads(cfg.Threads)
	}
	images, labels := stepbench.SyntheticBatch(cfg.Seed, cfg.Batch, net.Input.H, net.Input.W, net.Input.C, net.Classes)
	st, err := train.NewStepper(engine.Backend(), train.DefaultConfig(), net, images, labels)
	if err != nil {
		return nil, err
	}
	res := &stepbench.Result{Model: "arch " + net.Name, Backend: engine.Backend().Name(), Batch: cfg.Batch}
	if err := stepbench.Measure(res, cfg, st.Step); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return res, nil
}

// shapeFlag is an image shape flag written HxWxC.
type shapeFlag struct{ s *arch.Shape }

func (f *shapeFlag) String() string {
	if f.s == nil {
		return ""
	}
	return fmt.Sprintf("%dx%dx%d", f.s.H, f.s.W, f.s.C)
}

func (f *shapeFlag) Set(v string) error {
	var h, w, c int
	var rest string
	if n, _ := fmt.Sscanf(v+" ", "%dx%dx%d%s", &h, &w, &c, &rest); n != 3 || h < 1 || w < 1 || c < 1 {
		return fmt.Errorf("%q: want HxWxC with positive sizes, e.g. 32x32x3", v)
	}
	*f.s = arch.Shape{H: h, W: w, C: c}
	return nil
}

func (f *shapeFlag) Type() string { return "HxWxC" }

// benchModels are the models `uboost bench step --model` times.
var benchModels = []string{"probe", "supernet", "arch"}
