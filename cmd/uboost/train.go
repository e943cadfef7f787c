package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	gtrain "github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/ui/commandline"
	"github.com/spf13/cobra"

	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/data"
	"github.com/uboost/uboost/train"
)

func init() { root.AddCommand(newTrainCmd()) }

func newTrainCmd() *cobra.Command {
	def := train.DefaultConfig()
	var (
		cfg                  = def
		archSpec, inputShape string
		out                  string
		noAug                bool
		progress             string
		asJSON               bool
	)
	cmd := &cobra.Command{
		Use:   "train --arch ARCH --out RUN",
		Short: "Train an architecture from scratch and report its test accuracy",
		Long: `Train trains the network of an arch.json file (or a zoo name) from scratch on a data set and
evaluates it on the test split. The run directory RUN receives config.json, arch.json, metrics.jsonl
(one JSON line per logged step), checkpoints/ and result.json (test_accuracy as a fraction, top5,
params).

Ctrl-C stops after the current step and saves a checkpoint; a crash loses at most --checkpoint-every
steps. "uboost train --out RUN --resume" continues a run where it stopped, with its saved recipe
(flags given explicitly must agree with it) and, unless --arch is given, its saved arch.json.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("flag --out: the run directory is required")
			}
			if err := checkCounts(map[string]int{"threads": cfg.Threads, "epochs": cfg.Epochs, "batch": cfg.Batch,
				"checkpoint-every": cfg.CheckpointEvery, "log-every": cfg.LogEvery}); err != nil {
				return err
			}
			cfg.Augment = !noAug
			var net *arch.Network
			var err error
			if cfg.Resume {
				if _, statErr := os.Stat(filepath.Join(out, train.ConfigFile)); statErr == nil {
					saved, savedNet, err := train.LoadRun(out)
					if err != nil {
						return err
					}
					cfg = mergeChanged(cmd, saved, cfg)
					net = savedNet
				}
			}
			if archSpec != "" {
				if net, err = loadNetwork(archSpec, inputShape); err != nil {
					return err
				}
			}
			if net == nil {
				return fmt.Errorf("flag --arch: the network to train is required (or --resume an existing run)")
			}
			ds, err := data.Open(cfg.Data, data.Options{Seed: cfg.Seed, ValFraction: cfg.ValFraction})
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			w := cmd.OutOrStdout()
			if !asJSON {
				fmt.Fprintf(w, "training %s on %s: %d train / %d test images, %d epochs of batch %d, threads %v\n",
					net.Name, ds.Spec, ds.Train.Len(), ds.Test.Len(), cfg.Epochs, cfg.Batch, threadsOrAll(cfg.Threads))
			}
			cfg.OnLoop = func(loop *gtrain.Loop) { attachProgress(loop, w, progress, asJSON) }
			start := time.Now()
			res, err := train.Run(ctx, cfg, net, ds, out)
			if errors.Is(err, train.ErrStopped) {
				return fmt.Errorf("%w; continue with: uboost train --out %s --resume", err, out)
			}
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(w, res)
			}
			fmt.Fprintf(w, "%s: test accuracy %.2f%% (top-5 %.2f%%) on %d images, %d params, %d steps, %.0f images/s, %s this session\n",
				out, 100*res.TestAccuracy, 100*res.Top5, res.TestImages, res.Params, res.Steps, res.ImagesPerSecond,
				time.Since(start).Round(time.Second))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&archSpec, "arch", "", archFlagUsage)
	addInputFlag(cmd, &inputShape)
	fl.StringVar(&cfg.Data, "data", def.Data, "data set spec: builtin, fashion-mnist[:DIR], mnist:DIR, cifar10:DIR, cifar100:DIR, imagenet100:DIR, folder:DIR")
	fl.Float64Var(&cfg.ValFraction, "val", 0, "fraction of the training split held out for validation (logged each epoch)")
	fl.IntVar(&cfg.Epochs, "epochs", def.Epochs, "training epochs")
	fl.IntVar(&cfg.Batch, "batch", def.Batch, "images per step")
	fl.Float64Var(&cfg.LR, "lr", def.LR, "peak learning rate")
	fl.StringVar(&cfg.Schedule, "schedule", def.Schedule, "learning-rate schedule: onecycle or cosine")
	fl.Float64Var(&cfg.Warmup, "warmup", def.Warmup, "fraction of steps the one-cycle schedule ramps up")
	fl.Float64Var(&cfg.Momentum, "momentum", def.Momentum, "SGD momentum")
	fl.BoolVar(&cfg.Nesterov, "nesterov", def.Nesterov, "Nesterov momentum")
	fl.Float64Var(&cfg.WeightDecay, "wd", def.WeightDecay, "weight decay of conv and dense weights")
	fl.Float64Var(&cfg.ClipNorm, "clip", def.ClipNorm, "gradient clipping by global norm (0: off)")
	fl.BoolVar(&noAug, "no-augment", false, "train without the data set's augmentation")
	fl.Uint64Var(&cfg.Seed, "seed", def.Seed, "seed of initialization, batch order and augmentation")
	fl.IntVar(&cfg.Threads, "threads", 0, "CPU threads of the engine (0: all)")
	fl.IntVar(&cfg.CheckpointEvery, "checkpoint-every", 0, "steps between checkpoints (0: once per epoch)")
	fl.IntVar(&cfg.LogEvery, "log-every", 0, "steps between metrics.jsonl lines (0: 50)")
	fl.StringVar(&out, "out", "", "run directory")
	fl.BoolVar(&cfg.Resume, "resume", false, "continue the run in --out")
	fl.StringVar(&progress, "progress", "auto", "progress display: bar, lines, none or auto (bar on a terminal, else lines)")
	fl.BoolVar(&asJSON, "json", false, "print result.json to stdout instead of text (no progress)")
	return cmd
}

// mergeChanged returns the saved recipe of a resumed run with the flags the user gave explicitly
// taken from given (train.Run then reports any that disagree with the run).
func mergeChanged(cmd *cobra.Command, saved, given train.Config) train.Config {
	out := saved
	out.Threads, out.Resume, out.StopAfter = given.Threads, given.Resume, given.StopAfter
	set := map[string]func(){
		"data": func() { out.Data = given.Data }, "val": func() { out.ValFraction = given.ValFraction },
		"epochs": func() { out.Epochs = given.Epochs }, "batch": func() { out.Batch = given.Batch },
		"lr": func() { out.LR = given.LR }, "schedule": func() { out.Schedule = given.Schedule },
		"warmup": func() { out.Warmup = given.Warmup }, "momentum": func() { out.Momentum = given.Momentum },
		"nesterov": func() { out.Nesterov = given.Nesterov }, "wd": func() { out.WeightDecay = given.WeightDecay },
		"clip": func() { out.ClipNorm = given.ClipNorm }, "no-augment": func() { out.Augment = given.Augment },
		"seed": func() { out.Seed = given.Seed }, "checkpoint-every": func() { out.CheckpointEvery = given.CheckpointEvery },
		"log-every": func() { out.LogEvery = given.LogEvery },
	}
	for name, apply := range set {
		if cmd.Flags().Changed(name) {
			apply()
		}
	}
	return out
}

func threadsOrAll(n int) any {
	if n > 0 {
		return n
	}
	return "all"
}

// attachProgress shows training progress: GoMLX's progress bar (step, loss, accuracy, speed, ETA) on a
// terminal, or one plain line per 10% of the steps when the output is a file or pipe.
func attachProgress(loop *gtrain.Loop, w io.Writer, mode string, quiet bool) {
	if quiet || mode == "none" {
		return
	}
	if mode == "bar" || (mode == "auto" && isTerminal(w)) {
		commandline.AttachProgressBar(loop)
		return
	}
	var t0 time.Time
	var first int
	loop.OnStart("uboost-lines", 0, func(loop *gtrain.Loop, _ gtrain.Dataset) error {
		t0, first = time.Now(), loop.LoopStep
		return nil
	})
	loop.OnStep("uboost-lines", 100, func(loop *gtrain.Loop, m []*tensors.Tensor) error {
		step := loop.LoopStep + 1
		every := max(1, loop.EndStep/10)
		if step%every != 0 && step != loop.EndStep {
			return nil
		}
		el := time.Since(t0)
		done := step - first
		eta := time.Duration(float64(el) / float64(max(done, 1)) * float64(loop.EndStep-step))
		fmt.Fprintf(w, "step %d/%d  loss %.4f  acc~ %.3f  elapsed %s  eta %s\n", step, loop.EndStep,
			shapes.ConvertTo[float64](m[2].Value()), shapes.ConvertTo[float64](m[3].Value()), el.Round(time.Second), eta.Round(time.Second))
		return nil
	})
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
