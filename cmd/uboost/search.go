package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/data"
	"github.com/uboost/uboost/engine"
	"github.com/uboost/uboost/pipeline"
	"github.com/uboost/uboost/protocol"
	"github.com/uboost/uboost/search"
	"github.com/uboost/uboost/sim"
)

func init() { root.AddCommand(newSearchCmd()) }

// searchFlags are the flags of `uboost search` that shape the search configuration.
type searchFlags struct {
	stage, dataSpec, searchData, preset, proto, costModel, ceil, agg, widthCost, out               string
	simSchedule, objective, arrays, arrayChoice, arrayHalvingFrom                                  string
	peBudget, maxArrays, arrayHalvingTo                                                            int
	lambda, beta, trainWarmup, trainClip, alphaInitStd, turnLRScale                                float64
	epochsMicro, epochsChannel, trainBatch, steps, threads, warmupEpochs                           int
	trainEpochs, trainBatchFinal, trainLimit                                                       int
	seed                                                                                           int64
	resume, asJSON, perCell, sharedGumbel, trainDecayAll, widthsPerArray, arrayTurns, arrayHalving bool
	excludeZero, refine                                                                            bool
	af                                                                                             *acceleratorFlags
}

func newSearchCmd() *cobra.Command {
	f := &searchFlags{}
	cmd := &cobra.Command{
		Use:   "search [flags]",
		Short: "Search an architecture whose loss includes latency and utilization on the array",
		Long: `search runs U-Boost's differentiable architecture search on a data set: the micro stage picks the
operation on every edge of the cells (Gumbel-softmax over 8 candidates), the channel stage fixes those
and picks each convolution's width (DMasking). The loss is cross-entropy + λ·latency(ms) − β·utilization,
both computed in the graph by the --cost model on the accelerator the flags describe.

By default (--stage all) it then trains the searched network from scratch, evaluates it on the test
split, prices it at batch 1 with the exact model and the cycle-level simulator, and writes DIR/result.json
and DIR/report.html. Each stage writes DIR/STAGE/ (checkpoints, metrics.jsonl, arch.json); the searched
network is DIR/arch.json, ready for estimate, simulate and train. --resume continues DIR where it
stopped; a crash or Ctrl-C loses at most one checkpoint interval.

With no flags it runs the demo preset on the built-in Fashion-MNIST subset in a few minutes on 2 cores.`,
		Args: cobra.NoArgs,
	}
	fl := cmd.Flags()
	f.af = addAcceleratorFlags(cmd)
	// The search prices its loss at a hardware batch of its own; the result is always measured at 1.
	b := fl.Lookup("batch")
	b.Usage = "batch at which the loss prices the layers (default: the preset's, 64 as the reference's hw_batch_size; the result is measured at batch 1 either way)"
	b.DefValue = "0"
	fl.StringVar(&f.stage, "stage", "all", "what to run: all (search, train, evaluate, report), search (micro then channel), micro, or channel (needs DIR/micro)")
	fl.IntVar(&f.trainEpochs, "train-epochs", 0, "final-training epochs (0: the preset's)")
	fl.IntVar(&f.trainBatchFinal, "train-batch", 0, "final-training batch size (0: the preset's)")
	fl.IntVar(&f.trainLimit, "limit-train", 0, "use only the first N training images (0: all; default: the preset's, all but for edge's 20,000)")
	fl.StringVar(&f.dataSpec, "data", "", "data set spec (builtin, fashion-mnist[:DIR], mnist:DIR, cifar10:DIR, ...) to train and evaluate on, and to search on unless --search-data (default: the preset's: builtin for demo, fashion-mnist for edge)")
	fl.StringVar(&f.searchData, "search-data", "", "data set spec to search on instead of --data; the network is then derived for --data's image size and classes (the paper's ImageNet-100 protocol)")
	fl.StringVar(&f.preset, "preset", "demo", "configuration preset: "+strings.Join(search.Presets, ", "))
	fl.StringVar(&f.proto, "protocol", string(protocol.UBoost), "protocol whose values the settings below default to: uboost or paper (docs/PROTOCOL.md); an explicit flag wins")
	fl.StringVar(&f.costModel, "cost", "systolic", "hardware cost model in the loss: none or one of "+strings.Join(cost.Names(), ", "))
	fl.StringVar(&f.ceil, "ceil", string(cost.TightCeil), "smooth ceiling where widths are soft: tight or paper (protocol paper: paper)")
	fl.StringVar(&f.agg, "aggregation", string(search.AggReference), "latency/utilization aggregation: reference or mac-weighted")
	fl.StringVar(&f.widthCost, "width-cost", string(search.WidthExpectedCost), "layer cost over widths: expected-cost, expected-width or reference (protocol paper: reference)")
	fl.BoolVar(&f.sharedGumbel, "shared-gumbel", false, "draw the micro stage's Gumbel noise once per step for all cells (protocol paper: true)")
	fl.StringVar(&f.simSchedule, "sim-schedule", "default", "simulator schedule that measures the result: default or reference (protocol paper: reference)")
	fl.Float64Var(&f.trainWarmup, "train-warmup", 0.2, "final-training one-cycle warm-up fraction (protocol paper: 0.1)")
	fl.Float64Var(&f.trainClip, "train-clip", 5, "final-training gradient clipping norm, 0 for none (protocol paper: 0.5)")
	fl.BoolVar(&f.trainDecayAll, "train-decay-all", false, "final training: weight decay on biases and batch norm too (protocol paper: true)")
	fl.StringVar(&f.objective, "objective", string(search.ObjectiveLatency), "what λ weighs in the loss: latency (ms), energy (µJ) or edp (energy × latency, µJ·ms)")
	fl.StringVar(&f.arrays, "arrays", "", "co-design: candidate arrays ROWSxCOLS,... searched with the network (the other settings from --array's accelerator); by default widths per array, the arrays in turn, halved to two (docs/CODESIGN.md)")
	fl.BoolVar(&f.widthsPerArray, "widths-per-array", false, "co-design: search one width distribution per candidate array, each array priced under its own widths; on by default with --arrays or --pe-budget (=false: one shared distribution) (docs/CODESIGN.md)")
	fl.StringVar(&f.arrayChoice, "array-choice", string(search.ArrayChoiceObjective), "with --array-turns, what chooses the array: objective (each array's estimated CE + λ·objective) or loss (the same less the utilization reward) (docs/CODESIGN.md)")
	fl.BoolVar(&f.arrayTurns, "array-turns", false, "co-design with --widths-per-array: take the candidate arrays in turn (round robin) and choose the one of lowest estimated loss; on by default with widths per array (=false: Gumbel-softmax array logits) (docs/CODESIGN.md)")
	fl.BoolVar(&f.arrayHalving, "array-halving", false, "with --array-turns, drop arrays from the channel stage by successive halving (the half of highest estimated loss at evenly spaced epochs) down to --array-halving-to; on by default with array turns and more than two arrays (docs/CODESIGN.md)")
	fl.IntVar(&f.arrayHalvingTo, "array-halving-to", 2, "with --array-halving, the arrays left in the channel stage's last round: 2 or more leave the last choice to the stage's end; 1 searches the chosen array alone there (default 2, 1 with two arrays) (docs/CODESIGN.md)")
	fl.StringVar(&f.arrayHalvingFrom, "array-halving-from", string(search.StageChannel), "with --array-halving, the stage whose epochs the halving starts in: micro (rounds cut over both stages' epochs, the arrays the micro stage leaves carried into the channel stage; the co-design default, docs/CODESIGN.md, twelfth test) or channel")
	fl.Float64Var(&f.turnLRScale, "turn-lr-scale", 1, "with --array-turns, multiply the channel stage's architecture learning rate by this (docs/CODESIGN.md, ninth test: 2 moved the width logits further without changing the derived widths)")
	fl.BoolVar(&f.refine, "refine", false, "co-design, then a search of the array it chose alone at the same settings, whose network is trained: two searches' time for the chosen array's own network (the co-design's search kept in DIR/codesign; docs/CODESIGN.md)")
	fl.IntVar(&f.peBudget, "pe-budget", 0, "co-design: candidates are the power-of-two shapes of this many PEs with sides ≥ 8 and aspect ≤ 16 (16384: 32x512 … 512x32)")
	fl.IntVar(&f.maxArrays, "max-arrays", 1, "with --pe-budget, also enumerate 2, 4, … up to this many arrays sharing the memory, each a power-of-two shape of the budget's share (1024 and 4: 8x128 … 128x8, 2x8x64 … 2x64x8, 4x8x32, 4x16x16, 4x32x8)")
	fl.Float64Var(&f.lambda, "lambda", 1, "λ, weight of the --objective (latency in ms by default) in the loss")
	fl.Float64Var(&f.beta, "beta", 1, "β, weight of utilization (0..1) in the loss")
	fl.IntVar(&f.epochsMicro, "epochs-micro", -1, "micro-stage epochs (-1: the preset's)")
	fl.IntVar(&f.epochsChannel, "epochs-channel", -1, "channel-stage epochs (-1: the preset's)")
	fl.IntVar(&f.trainBatch, "search-batch", 0, "training batch size (0: the preset's)")
	fl.IntVar(&f.steps, "steps-per-epoch", -1, "cap on batches per epoch (0: all; -1: the preset's)")
	fl.BoolVar(&f.perCell, "per-cell-alphas", false, "give each cell its own op logits (default: shared, as the reference)")
	fl.Float64Var(&f.alphaInitStd, "alpha-init-std", 0, "standard deviation of the op logits' Gaussian initialization (default: the preset's, 1e-3 on demo and edge, 1 elsewhere as the reference)")
	fl.BoolVar(&f.excludeZero, "exclude-zero", false, "derive every edge's op among the non-zero ops (DARTS); default: zero may win an edge, as the reference")
	fl.IntVar(&f.warmupEpochs, "warmup-epochs", 0, "first epochs of each stage that update only the weights, within --epochs-micro and --epochs-channel (PC-DARTS warms up 15 of 50; default 0, as the reference)")
	fl.Int64Var(&f.seed, "seed", 0, "random seed (same seed, same arch.json)")
	fl.StringVar(&f.out, "out", "runs/search", "run directory")
	fl.BoolVar(&f.resume, "resume", false, "continue the run in --out from its last checkpoint")
	fl.IntVar(&f.threads, "threads", 0, "CPU threads for the engine (0: all cores)")
	fl.BoolVar(&f.asJSON, "json", false, "print one JSON document (the result) instead of progress and a summary")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return runSearch(cmd, f) }
	return cmd
}

// runConfig builds the whole run's configuration: the preset's search and training settings, then the
// values the protocol picks, then every flag given explicitly, which wins over both.
func (f *searchFlags) runConfig(cmd *cobra.Command) (*pipeline.Config, error) {
	changed := cmd.Flags().Changed
	pc, err := pipeline.Preset(f.preset)
	if err != nil {
		return nil, fmt.Errorf("flag --preset: %w", err)
	}
	cfg := pc.Search
	proto, err := protocol.Parse(f.proto)
	if err != nil {
		return nil, fmt.Errorf("flag --protocol: %w", err)
	}
	if f.dataSpec != "" {
		pc.Data = f.dataSpec
	}
	if pc.Data == "" {
		return nil, fmt.Errorf("flag --data: the %s preset has no default data set; name one (e.g. cifar10:DIR)", f.preset)
	}
	if changed("limit-train") {
		pc.TrainLimit = f.trainLimit
	}
	pc.SearchData, pc.Seed, pc.Resume, pc.Refine = f.searchData, f.seed, f.resume, f.refine
	pipeline.ApplyProtocol(proto, pc)

	a, err := f.af.Accelerator()
	if err != nil {
		return nil, err
	}
	if f.af.file == "" {
		if !changed("batch") {
			a.WithBatch(cfg.Accel.Batch) // the preset's hardware batch (64, the reference's hw_batch_size)
		}
		if !changed("array") {
			a.Rows, a.Cols = cfg.Accel.Rows, cfg.Accel.Cols // the preset's array
			a.WithArrays(cfg.Accel.NumArrays())
		}
	}
	cfg.WithAccelerator(a).WithCost(f.costModel, f.lambda, f.beta).WithSeed(f.seed)
	if cfg.Objective, err = search.ParseObjective(f.objective); err != nil {
		return nil, fmt.Errorf("flag --objective: %w", err)
	}
	switch {
	case f.arrays != "" && changed("pe-budget"):
		return nil, fmt.Errorf("give --arrays or --pe-budget, not both")
	case changed("max-arrays") && !changed("pe-budget"):
		return nil, fmt.Errorf("flag --max-arrays: goes with --pe-budget (name split designs in --arrays: 4x16x16)")
	case f.arrays != "":
		if cfg.Arrays, err = search.ParseArrays(f.arrays); err != nil {
			return nil, fmt.Errorf("flag --arrays: %w", err)
		}
	case changed("pe-budget"):
		if err := search.CheckMaxArrays(f.maxArrays); err != nil {
			return nil, fmt.Errorf("flag --max-arrays: %w", err)
		}
		if cfg.Arrays, err = search.PEBudgetArrays(f.peBudget, f.maxArrays); err != nil {
			return nil, fmt.Errorf("flag --pe-budget: %w", err)
		}
	}
	if changed("array-choice") {
		if cfg.ArrayChoice, err = search.ParseArrayChoice(f.arrayChoice); err != nil {
			return nil, fmt.Errorf("flag --array-choice: %w", err)
		}
	}
	applyGiven(changed,
		flagSetter{"ceil", func() { cfg.Ceil = cost.Ceiling(f.ceil) }},
		flagSetter{"aggregation", func() { cfg.Aggregation = search.Aggregation(f.agg) }},
		flagSetter{"widths-per-array", func() { cfg.WidthsPerArray = f.widthsPerArray }},
		flagSetter{"array-turns", func() { cfg.ArrayTurns = f.arrayTurns }},
		flagSetter{"turn-lr-scale", func() { cfg.TurnLRScale = f.turnLRScale }},
		flagSetter{"array-halving", func() { cfg.ArrayHalving = f.arrayHalving }},
		flagSetter{"array-halving-to", func() { cfg.ArrayHalvingTo = f.arrayHalvingTo }},
		flagSetter{"array-halving-from", func() { cfg.ArrayHalvingFrom = search.Stage(f.arrayHalvingFrom) }},
		flagSetter{"width-cost", func() { cfg.WidthCost = search.WidthCost(f.widthCost) }},
		flagSetter{"shared-gumbel", func() { cfg.SharedGumbel = f.sharedGumbel }},
		flagSetter{"per-cell-alphas", func() { cfg.SharedAlphas = !f.perCell }},
		flagSetter{"alpha-init-std", func() { cfg.AlphaInitStd = f.alphaInitStd }},
		flagSetter{"exclude-zero", func() { cfg.ExcludeZero = f.excludeZero }},
		flagSetter{"warmup-epochs", func() { cfg.WarmupEpochs = f.warmupEpochs }},
	)
	if len(cfg.Arrays) > 0 {
		// The flags are the config's JSON keys with dashes (--array-halving-to, array_halving_to).
		cfg.ApplyCodesignDefaults(func(key string) bool { return changed(strings.ReplaceAll(key, "_", "-")) })
	}
	if f.epochsMicro >= 0 {
		cfg.EpochsMicro = f.epochsMicro
	}
	if f.epochsChannel >= 0 {
		cfg.EpochsChannel = f.epochsChannel
	}
	if f.trainBatch > 0 {
		cfg.BatchSize = f.trainBatch
	}
	if f.steps >= 0 {
		cfg.StepsPerEpoch = f.steps
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}

	t := &pc.Train
	t.Seed = uint64(f.seed)
	if f.trainEpochs > 0 {
		t.Epochs = f.trainEpochs
	}
	if f.trainBatchFinal > 0 {
		t.Batch = f.trainBatchFinal
	}
	applyGiven(changed,
		flagSetter{"train-warmup", func() { t.Warmup = f.trainWarmup }},
		flagSetter{"train-clip", func() { t.ClipNorm = f.trainClip }},
		flagSetter{"train-decay-all", func() { t.WeightDecayAll = f.trainDecayAll }},
	)
	t.Threads = f.threads
	if changed("sim-schedule") {
		switch f.simSchedule {
		case "default":
			pc.Sim = sim.Options{}
		case "reference":
			pc.Sim = cost.ReferenceSchedule
		default:
			return nil, fmt.Errorf("flag --sim-schedule: want default or reference, got %q", f.simSchedule)
		}
	}
	for _, spec := range []struct{ flag, spec string }{{"data", f.dataSpec}, {"search-data", f.searchData}} {
		if spec.spec == "" {
			continue
		}
		if _, err := data.ParseSpec(spec.spec); err != nil {
			return nil, fmt.Errorf("flag --%s: %w", spec.flag, err)
		}
	}
	return pc, nil
}

// searchSummary is the --json document: where the result is and how the exact model prices it.
type searchSummary struct {
	Stage    string           `json:"stage"`
	Dir      string           `json:"dir"`
	Arch     string           `json:"arch"`
	Genotype *search.Genotype `json:"genotype"`
	Widths   search.Widths    `json:"widths,omitempty"`
	*cost.Report
}

func runSearch(cmd *cobra.Command, f *searchFlags) error {
	if err := checkCounts(map[string]int{"threads": f.threads, "limit-train": f.trainLimit, "train-epochs": f.trainEpochs, "train-batch": f.trainBatchFinal, "search-batch": f.trainBatch}); err != nil {
		return err
	}
	switch f.stage {
	case "micro", "channel", "search":
	case "all":
		return runPipeline(cmd, f)
	default:
		return fmt.Errorf("flag --stage: want all, search, micro or channel, got %q", f.stage)
	}
	if f.threads > 0 {
		engine.SetThreads(f.threads)
	}
	pc, err := f.runConfig(cmd)
	if err != nil {
		return err
	}
	cfg := pc.Search
	if f.searchData != "" {
		return fmt.Errorf("flag --search-data: only with --stage all (the search alone runs on --data)")
	}
	if f.refine {
		return fmt.Errorf("flag --refine: only with --stage all (it searches twice, then trains)")
	}
	ds, err := pc.Open(pc.Data)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opt := search.RunOptions{Resume: f.resume, Warn: warnTo(cmd.ErrOrStderr()), Context: ctx}
	if !f.asJSON {
		opt.Progress = progressPrinter(cmd.ErrOrStderr(), cfg)
	}
	sum := &searchSummary{Stage: f.stage, Dir: f.out}
	var net *arch.Network
	if f.stage == "micro" || f.stage == "search" {
		res, err := pipeline.MicroStage(cfg, ds, f.out, opt)
		if err != nil {
			return err
		}
		sum.Genotype, net = res.Genotype, res.Network
	}
	if f.stage == "channel" || f.stage == "search" {
		g := sum.Genotype
		if g == nil {
			if g, err = search.LoadGenotype(filepath.Join(f.out, "micro", search.GenotypeFile)); err != nil {
				return fmt.Errorf("channel stage needs the micro stage's result: %w", err)
			}
		}
		res, err := pipeline.ChannelStage(cfg, ds, g, f.out, opt)
		if err != nil {
			return err
		}
		sum.Genotype, sum.Widths, net = g, res.Widths, res.Network
	}
	sum.Arch = filepath.Join(f.out, search.ArchFile)
	if err := net.Save(sum.Arch); err != nil {
		return err
	}
	layers, err := net.Layers()
	if err != nil {
		return err
	}
	searched, err := pipeline.SearchedAccelerator(cfg, net) // a co-design's chosen array, not the base one
	if err != nil {
		return err
	}
	if sum.Report, err = cost.Systolic().Estimate(searched, layers); err != nil {
		return err
	}
	sum.Report.Network = net.Name
	if f.asJSON {
		return writeJSON(cmd.OutOrStdout(), sum)
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "\nsearched network: %s (%d nodes)\n", sum.Arch, len(net.Nodes))
	for i, ops := range sum.Genotype.Ops {
		fmt.Fprintf(w, "  cell %d: ", i+1)
		for j, op := range ops {
			fmt.Fprintf(w, "%s:%s ", search.Edges[j].Name(), op)
		}
		fmt.Fprintln(w)
	}
	t := sum.Report.Total
	fmt.Fprintf(w, "on %s (exact systolic model): %.4f ms, utilization %.2f%%, %.3f GMACs, %d parameters\n",
		searched, t.LatencyMs, 100*t.Utilization, float64(t.MACs)/1e9, t.Params)
	return nil
}

// progressPrinter draws one status line per step on w, rewritten in place; cfg says in which unit the
// utilization term is.
func progressPrinter(w io.Writer, cfg *search.Config) func(search.Progress) {
	last := time.Time{}
	return func(p search.Progress) {
		end := p.Epoch == p.Epochs && p.Step == p.Steps
		if !end && time.Since(last) < 200*time.Millisecond {
			return
		}
		last = time.Now()
		fmt.Fprintf(w, "\r%-7s epoch %d/%d step %3d/%d %-7s loss %7.4f acc %5.1f%% lat %.4g ms %s ETA %s   ",
			p.Stage, p.Epoch, p.Epochs, p.Step, p.Steps, p.Phase, p.Loss, 100*p.Accuracy, p.LatencyMs,
			cfg.Aggregation.UtilizationText(p.Utilization, cfg.Cells), p.ETA.Round(time.Second))
		if end {
			fmt.Fprintln(w)
		}
	}
}
