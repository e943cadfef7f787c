package search

import (
	"bufio"
	"bytes"
	"cmp"
	stdctx "context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/data"
	"github.com/uboost/uboost/internal/atomicfile"
	"github.com/uboost/uboost/internal/jsonfile"
)

// Progress is one step's report to the caller (the CLI draws it as a progress bar).
type Progress struct {
	Stage         Stage
	Epoch, Epochs int // Epoch counts from 1
	Step, Steps   int // Step counts from 1 within the epoch
	Phase         string
	Loss          float64
	Accuracy      float64
	LatencyMs     float64
	Utilization   float64
	Elapsed, ETA  time.Duration
}

// RunOptions are how a stage runs, beside what it searches (Config).
type RunOptions struct {
	// Backend runs the graphs; nil means the engine backend.
	Backend backends.Backend
	// Resume continues the stage from the last checkpoint in its directory; without it an existing run
	// in the directory is an error.
	Resume bool
	// Progress, when set, is called after every step.
	Progress func(Progress)
	// Warn, when set, receives one-line warnings (a broken checkpoint set aside on resume).
	Warn func(string)
	// Context, when set, stops the stage between steps once it is cancelled (Ctrl-C, SIGTERM); the
	// last epoch's checkpoint is kept for Resume.
	Context stdctx.Context
}

// Metric is one line of metrics.jsonl: a training step, or an epoch summary (Phase "epoch") that also
// prices the current argmax network exactly.
type Metric struct {
	Stage       Stage   `json:"stage"`
	Epoch       int     `json:"epoch"`
	Step        int     `json:"step"`
	Phase       string  `json:"phase"`
	Loss        float64 `json:"loss"`
	CE          float64 `json:"ce"`
	Accuracy    float64 `json:"accuracy"`
	LatencyMs   float64 `json:"latency_ms"`
	Utilization float64 `json:"utilization"`
	// EnergyUJ is the supernet's expected energy in µJ (the search's cost model at its batch).
	EnergyUJ    float64 `json:"energy_uj"`
	Tau         float64 `json:"tau"`
	LR          float64 `json:"lr,omitempty"`
	StepSeconds float64 `json:"step_seconds,omitempty"`
	// Epoch summaries: the exact systolic model's figures for the argmax network.
	ArgmaxLatencyMs   float64 `json:"argmax_latency_ms,omitempty"`
	ArgmaxUtilization float64 `json:"argmax_utilization,omitempty"`
	// OpProbs (micro-stage epoch summaries) is softmax(α) of the first cell's edges, [edge][op] in the
	// order of Edges and Config.Ops: how the op choice evolved, for reports.
	OpProbs [][]float64 `json:"op_probs,omitempty"`
	// Co-design epoch summaries: ArrayCosts is the expected objective (Config.Objective, in its unit)
	// on each candidate array of Config.Arrays, averaged over the epoch's steps; ArrayProbs is
	// softmax of the array logits at the epoch's end (with Config.ArrayTurns, of minus each array's
	// estimated loss); Array the argmax candidate ("RxC"). ArrayUtils is the utilization term on each
	// candidate (Config.Aggregation's), averaged like ArrayCosts.
	ArrayCosts []float64 `json:"array_costs,omitempty"`
	ArrayUtils []float64 `json:"array_utils,omitempty"`
	ArrayProbs []float64 `json:"array_probs,omitempty"`
	Array      string    `json:"array,omitempty"`
	// ArraysLeft (Config.ArrayHalving) are the arrays still taking turns after the epoch ("RxC").
	ArraysLeft []string `json:"arrays_left,omitempty"`
}

// MicroResult is the outcome of the micro stage.
type MicroResult struct {
	Genotype *Genotype
	// Alphas are the final op logits, [cell][edge][op] (one cell when shared).
	Alphas  [][][]float64
	Network *arch.Network
}

// ChannelResult is the outcome of the channel stage.
type ChannelResult struct {
	Genotype *Genotype
	Widths   Widths
	// Logits are the final width logits by searched layer.
	Logits  map[string][]float64
	Network *arch.Network
}

// File names inside a stage directory.
const (
	ArchFile     = "arch.json"
	GenotypeFile = "genotype.json"
	WidthsFile   = "widths.json"
	MetricsFile  = "metrics.jsonl"
	stateFile    = "state.json"
	ckptDir      = "checkpoints"
)

// RunMicro runs the micro-architecture stage on the training split, writing its directory dir:
// checkpoints (one per epoch), metrics.jsonl, genotype.json and arch.json (the argmax ops at
// Config.Width).
func RunMicro(cfg *Config, split *data.Split, dir string, opt RunOptions) (*MicroResult, error) {
	ds := split.Dataset()
	in := arch.Shape{H: ds.H, W: ds.W, C: ds.C}
	s, err := newSupernet(cfg, StageMicro, nil, in, len(ds.Classes))
	if err != nil {
		return nil, err
	}
	ctx, err := runStage(s, cfg.EpochsMicro, split, dir, opt)
	if err != nil {
		return nil, err
	}
	res := &MicroResult{}
	if res.Alphas, res.Genotype, err = s.genotype(ctx); err != nil {
		return nil, err
	}
	if cfg.halvingFromMicro() {
		res.Genotype.ArraysLeft = s.arrayNames(variableValues(ctx.In(scopeArch).In(scopeArrays).GetVariable(arrayLeftVar)))
	}
	if res.Network, err = Derive(cfg, in, len(ds.Classes), res.Genotype, nil); err != nil {
		return nil, err
	}
	res.Network.Search = searchInfo(cfg, StageMicro, s.chosenAccel(ctx), softmax(s.arrayLogits(ctx)))
	if err := jsonfile.Write(filepath.Join(dir, GenotypeFile), res.Genotype); err != nil {
		return nil, err
	}
	return res, res.Network.Save(filepath.Join(dir, ArchFile))
}

// RunChannel runs the channel stage with the ops of g fixed, writing its directory dir like RunMicro
// plus widths.json; its arch.json is the searched network.
func RunChannel(cfg *Config, split *data.Split, g *Genotype, dir string, opt RunOptions) (*ChannelResult, error) {
	ds := split.Dataset()
	in := arch.Shape{H: ds.H, W: ds.W, C: ds.C}
	s, err := newSupernet(cfg, StageChannel, g, in, len(ds.Classes))
	if err != nil {
		return nil, err
	}
	ctx, err := runStage(s, cfg.EpochsChannel, split, dir, opt)
	if err != nil {
		return nil, err
	}
	res := &ChannelResult{Genotype: g, Logits: s.widthLogits(ctx)}
	res.Widths = WidthsFromLogits(cfg, res.Logits)
	if res.Network, err = Derive(cfg, in, len(ds.Classes), g, res.Widths); err != nil {
		return nil, err
	}
	res.Network.Search = searchInfo(cfg, StageChannel, s.chosenAccel(ctx), softmax(s.arrayLogits(ctx)))
	if err := jsonfile.Write(filepath.Join(dir, WidthsFile), res.Widths); err != nil {
		return nil, err
	}
	return res, res.Network.Save(filepath.Join(dir, ArchFile))
}

// LoadGenotype reads a genotype.json written by RunMicro.
func LoadGenotype(path string) (*Genotype, error) {
	var g Genotype
	if err := jsonfile.ReadStrict(path, &g); err != nil {
		return nil, err
	}
	return &g, nil
}

// searchInfo is what arch.json records about how the network was found; chosen is the accelerator it
// was found for (the argmax candidate of a co-design search, whose candidates and final array
// probabilities are recorded too).
func searchInfo(cfg *Config, st Stage, chosen *accel.Accelerator, arrayProbs []float64) map[string]any {
	info := map[string]any{
		"method": "uboost", "stage": string(st), "cost": string(cfg.Cost), "objective": string(cfg.Objective), "ceil": string(cfg.Ceil),
		"lambda": cfg.Lambda, "beta": cfg.Beta, "seed": cfg.Seed, "aggregation": string(cfg.Aggregation),
		"width_cost": string(cfg.WidthCost), "accelerator": chosen.String(),
		"protocol": cfg.Protocol, "shared_gumbel": cfg.SharedGumbel, "shared_alphas": cfg.SharedAlphas,
		"alpha_init_std": cfg.AlphaInitStd, "exclude_zero": cfg.ExcludeZero, "warmup_epochs": cfg.WarmupEpochs,
	}
	if len(cfg.Arrays) > 0 {
		info[ArrayKey] = chosen.Shape()
		info["arrays"] = cfg.Arrays
		info["array_probs"] = arrayProbs
		info["widths_per_array"], info["array_turns"] = cfg.WidthsPerArray, cfg.ArrayTurns
		if cfg.ArrayTurns {
			info["array_choice"] = cmp.Or(cfg.ArrayChoice, ArrayChoiceLoss)
			info["turn_lr_scale"] = cfg.turnLRScale()
			info["array_halving"] = cfg.ArrayHalving
			if cfg.ArrayHalving {
				info["array_halving_to"] = cfg.halvingTo()
				info["array_halving_from"] = cmp.Or(cfg.ArrayHalvingFrom, StageChannel)
			}
		}
	}
	return info
}

// ArrayKey is the arch.json search field holding the array a co-design search chose ("RxC").
const ArrayKey = "array"

// variableValues reads a variable's value as float64s.
func variableValues(v *context.Variable) []float64 {
	t := v.MustValue()
	out := make([]float64, t.Shape().Size())
	switch vals := t.Value().(type) {
	case [][]float32:
		k := 0
		for _, r := range vals {
			for _, x := range r {
				out[k] = float64(x)
				k++
			}
		}
	case [][]float64:
		k := 0
		for _, r := range vals {
			k += copy(out[k:], r)
		}
	case []float32:
		for i, x := range vals {
			out[i] = float64(x)
		}
	case []float64:
		copy(out, vals)
	}
	return out
}

// genotype reads the op logits and takes the argmax.
func (s *supernet) genotype(ctx *context.Context) ([][][]float64, *Genotype, error) {
	n := 1
	if !s.cfg.SharedAlphas {
		n = s.cfg.Cells
	}
	var alphas [][][]float64
	for i := range n {
		v := ctx.GetVariableByScopeAndName("/"+scopeArch+"/"+s.alphaScope(i), "alpha")
		if v == nil {
			return nil, nil, fmt.Errorf("micro stage: op logits of %s missing", s.alphaScope(i))
		}
		flat := variableValues(v)
		cell := make([][]float64, len(Edges))
		for j := range cell {
			cell[j] = flat[j*len(s.cfg.Ops) : (j+1)*len(s.cfg.Ops)]
		}
		alphas = append(alphas, cell)
	}
	g, err := GenotypeFromAlphas(s.cfg, alphas)
	return alphas, g, err
}

// widthLogits reads every searched layer's width logits; with widths per array, the chosen array's.
func (s *supernet) widthLogits(ctx *context.Context) map[string][]float64 {
	out := map[string][]float64{}
	row, n := 0, len(s.cfg.Channels)
	if s.cfg.WidthsPerArray {
		row = s.chosenArray(ctx)
	}
	for _, name := range s.widthLayers() {
		if v := ctx.GetVariableByScopeAndName("/"+scopeArch+"/"+name, "width"); v != nil {
			out[name] = variableValues(v)[row*n : (row+1)*n]
		}
	}
	return out
}

// derived returns the current argmax network of the stage.
func (s *supernet) derived(ctx *context.Context) (*arch.Network, error) {
	if s.stage == StageMicro {
		_, g, err := s.genotype(ctx)
		if err != nil {
			return nil, err
		}
		return Derive(s.cfg, s.in, s.classes, g, nil)
	}
	return Derive(s.cfg, s.in, s.classes, s.geno, WidthsFromLogits(s.cfg, s.widthLogits(ctx)))
}

// stepGraph builds one training step: the supernet's loss, and the update of one variable set —
// the weights (phase "weights": SGD with momentum and weight decay, global-norm gradient clip) or the
// architecture logits (phase "arch": GoMLX's Adam). It returns loss, CE, accuracy, latency, utilization.
func (s *supernet) stepGraph(ctx *context.Context, phase string, images, labels, lr, tau *graph.Node) ([]*graph.Node, error) {
	g := images.Graph()
	ctx.SetTraining(g, true)
	logits, hw, err := s.forward(ctx, images, tau)
	if err != nil {
		return nil, err
	}
	ce, acc, loss := s.loss(logits, labels, hw)
	if s.cfg.ArrayTurns {
		s.updateArrayTurns(ctx, g, phase, ce, hw)
	}
	var vars []*context.Variable
	for v := range ctx.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) && strings.HasPrefix(v.Scope(), "/"+phaseScope(phase)) {
			vars = append(vars, v)
		}
	}
	wrt := make([]*graph.Node, len(vars))
	for i, v := range vars {
		wrt[i] = v.ValueGraph(g)
	}
	grads := graph.Gradient(loss, wrt...)
	if phase == "weights" {
		s.sgdUpdate(ctx, g, vars, grads, lr)
	} else {
		// GoMLX's Adam updates every trainable variable the graph uses: hide the weights while it builds.
		var hidden []*context.Variable
		for v := range ctx.IterVariables() {
			if v.Trainable && v.InUseByGraph(g) && !slices.Contains(vars, v) {
				v.SetTrainable(false)
				hidden = append(hidden, v)
			}
		}
		adam := optimizers.Adam().LearningRate(s.archLR()).Scope("arch_adam").Done()
		adam.(train.OptimizeWithGradients).UpdateGraphWithGradients(ctx, grads, loss.DType())
		for _, v := range hidden {
			v.SetTrainable(true)
		}
	}
	return []*graph.Node{loss, ce, acc, hw.LatencyMs, hw.Util, hw.EnergyUJ, hw.ArrayCosts, hw.ArrayUtils}, nil
}

func phaseScope(phase string) string {
	if phase == "weights" {
		return scopeModel
	}
	return scopeArch
}

// loss is CE + λ·latency_ms − β·utilization (PAPER.md eq. 8), with energy in µJ or the energy–delay
// product in place of latency under Config.Objective (each expected over the candidate arrays of a
// co-design search), and the batch accuracy.
func (s *supernet) loss(logits, labels *graph.Node, hw hwTerms) (ce, acc, loss *graph.Node) {
	ce = graph.ReduceAllMean(losses.SparseCategoricalCrossEntropyLogits([]*graph.Node{labels}, []*graph.Node{logits}))
	pred := graph.ArgMax(logits, -1, labels.DType())
	hit := graph.Equal(pred, graph.Reshape(labels, labels.Shape().Dimensions[0]))
	acc = graph.ReduceAllMean(graph.ConvertDType(hit, logits.DType()))
	return ce, acc, s.penalized(ce, hw.Cost, hw.Util)
}

// penalized is the loss on a CE and hardware terms: ce + λ·cost − β·util, or ce alone for --cost none
// (elementwise on per-array vectors).
func (s *supernet) penalized(ce, cost, util *graph.Node) *graph.Node {
	if s.cfg.Cost == CostNone {
		return ce
	}
	return graph.Sub(graph.Add(ce, graph.MulScalar(cost, s.cfg.Lambda)), graph.MulScalar(util, s.cfg.Beta))
}

// sgdUpdate is SGD with momentum and weight decay (PyTorch's: buf = μ·buf + (∇ + wd·w); w −= lr·buf)
// after clipping the gradients' global norm to GradClip.
func (s *supernet) sgdUpdate(ctx *context.Context, g *graph.Graph, vars []*context.Variable, grads []*graph.Node, lr *graph.Node) {
	if s.cfg.GradClip > 0 && len(grads) > 0 {
		sq := graph.ScalarZero(g, lr.DType())
		for _, gr := range grads {
			sq = graph.Add(sq, graph.ReduceAllSum(graph.Square(gr)))
		}
		norm := graph.Sqrt(sq)
		scale := graph.Min(graph.ScalarOne(g, lr.DType()), graph.Div(graph.Scalar(g, lr.DType(), s.cfg.GradClip), graph.AddScalar(norm, 1e-6)))
		for i := range grads {
			grads[i] = graph.Mul(grads[i], scale)
		}
	}
	for i, v := range vars {
		w := v.ValueGraph(g)
		gr := graph.Add(grads[i], graph.MulScalar(w, s.cfg.WeightDecay))
		buf := ctx.InAbsPath("/sgd_momentum"+v.Scope()).Checked(false).VariableWithValue(v.Name(), tensors.FromShape(v.Shape())).SetTrainable(false)
		b := graph.Add(graph.MulScalar(buf.ValueGraph(g), s.cfg.Momentum), gr)
		buf.SetValueGraph(b)
		v.SetValueGraph(graph.Sub(w, graph.Mul(b, lr)))
	}
	optimizers.IncrementGlobalStepGraph(ctx, g, dtypes.Int64)
}

// stageState is what state.json records after each finished epoch: the epoch count and the checkpoint
// holding its state. It is written after the checkpoint, by rename, so a run killed at any moment
// resumes from a complete checkpoint.
type stageState struct {
	EpochsDone int    `json:"epochs_done"`
	Checkpoint string `json:"checkpoint"`
	// Previous is the checkpoint of the epoch before, kept to resume from when Checkpoint is broken.
	Previous string `json:"previous,omitempty"`
}

// runStage trains a supernet for the given epochs, alternating weight and architecture batches, with a
// checkpoint and state.json after every epoch. It returns the context holding the final variables.
func runStage(s *supernet, epochs int, split *data.Split, dir string, opt RunOptions) (*context.Context, error) {
	cfg := s.cfg
	backend := opt.Backend
	if backend == nil {
		var err error
		if backend, err = defaultBackend(); err != nil {
			return nil, err
		}
	}
	lock, st, err := openStageDir(s, dir, opt)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	if epochs == 0 && opt.Warn != nil { // allowed (a derivation from the initial logits), rarely meant
		opt.Warn(fmt.Sprintf("%s stage: 0 epochs, so its network is derived from the initial architecture logits, untrained", s.stage))
	}
	ck, statePath := filepath.Join(dir, ckptDir), filepath.Join(dir, stateFile)
	ctx, handler, err := openStageCheckpoint(cfg, ck, &st, opt.Warn)
	if err != nil {
		return nil, err
	}
	dt := dtypes.Float32
	s.initArch(ctx, dt)

	metrics, err := openMetrics(filepath.Join(dir, MetricsFile), st.EpochsDone)
	if err != nil {
		return nil, err
	}
	defer metrics.Close()

	var buildErr error
	newExec := func(phase string) (*context.Exec, error) {
		return context.NewExec(backend, ctx.Checked(false), func(ctx *context.Context, in []*graph.Node) []*graph.Node {
			outs, err := s.stepGraph(ctx, phase, in[0], in[1], in[2], in[3])
			if err != nil {
				buildErr = err
				z := graph.ScalarZero(in[0].Graph(), dt)
				return []*graph.Node{z, z, z, z, z, z, z}
			}
			return outs
		})
	}
	weightExec, err := newExec("weights")
	if err != nil {
		return nil, err
	}
	archExec, err := newExec("arch")
	if err != nil {
		return nil, err
	}

	loader := split.Loader(data.LoaderOptions{BatchSize: cfg.BatchSize, Shuffle: true, Augment: cfg.Augment, DropLast: true, Seed: uint64(cfg.Seed)})
	for range st.EpochsDone {
		loader.Reset()
	}
	steps := split.Len() / cfg.BatchSize
	if cfg.StepsPerEpoch > 0 {
		steps = min(steps, cfg.StepsPerEpoch)
	}
	if steps < 2 {
		return nil, fmt.Errorf("%s stage: %d training images make %d batches of %d; need at least 2 per epoch (one weight, one architecture)", s.stage, split.Len(), steps, cfg.BatchSize)
	}
	weightSteps := min(max(int(math.Round(cfg.WeightFraction*float64(steps))), 1), steps-1)
	start := time.Now()
	done := 0
	total := (epochs - st.EpochsDone) * steps
	for epoch := st.EpochsDone; epoch < epochs; epoch++ {
		tau, lr := cfg.tauAt(epoch), cfg.lrAt(epoch)
		// Means over the epoch's steps of each candidate's cost and utilization, co-design only.
		arrayCosts, arrayUtils := make([]float64, len(cfg.Arrays)), make([]float64, len(cfg.Arrays))
		tauT, lrT := tensors.FromScalar(float32(tau)), tensors.FromScalar(float32(lr))
		for step := range steps {
			if opt.Context != nil && opt.Context.Err() != nil {
				return nil, fmt.Errorf("%s stage stopped at epoch %d step %d (%w); the checkpoint after epoch %d is kept in %s for --resume",
					s.stage, epoch+1, step+1, opt.Context.Err(), st.EpochsDone, ck)
			}
			b, err := loader.Next()
			if err != nil {
				return nil, fmt.Errorf("%s stage epoch %d step %d: %w", s.stage, epoch+1, step+1, err)
			}
			phase, exec := "weights", weightExec
			if step >= weightSteps && epoch >= cfg.WarmupEpochs {
				phase, exec = "arch", archExec
			}
			t0 := time.Now()
			outs, err := exec.Exec(b.Images, b.Labels, lrT, tauT)
			b.Images.FinalizeAll()
			b.Labels.FinalizeAll()
			if buildErr != nil {
				return nil, buildErr
			}
			if err != nil {
				return nil, fmt.Errorf("%s stage epoch %d step %d: %w", s.stage, epoch+1, step+1, err)
			}
			v := make([]float64, len(outs)-2)
			for i, o := range outs[:len(v)] {
				v[i] = scalarOf(o)
			}
			if len(arrayCosts) > 0 {
				for k, sum := range [][]float64{arrayCosts, arrayUtils} {
					for i, c := range tensors.MustCopyFlatData[float32](outs[len(v)+k]) {
						sum[i] += float64(c) / float64(steps)
					}
				}
			}
			m := Metric{Stage: s.stage, Epoch: epoch + 1, Step: step + 1, Phase: phase, Loss: v[0], CE: v[1], Accuracy: v[2],
				LatencyMs: v[3], Utilization: v[4], EnergyUJ: v[5], Tau: tau, LR: lr, StepSeconds: time.Since(t0).Seconds()}
			if !finite(m.Loss) || !finite(m.LatencyMs) || !finite(m.Utilization) || !finite(m.EnergyUJ) {
				where := "no checkpoint yet"
				if st.Checkpoint != "" {
					where = fmt.Sprintf("the checkpoint after epoch %d is kept in %s", st.EpochsDone, ck)
				}
				return nil, fmt.Errorf("%s stage epoch %d step %d (%s): %w (loss %g, latency %g ms, utilization %g); stopped, %s",
					s.stage, epoch+1, step+1, phase, errNonFinite, m.Loss, m.LatencyMs, m.Utilization, where)
			}
			if err := metrics.write(m); err != nil {
				return nil, err
			}
			done++
			if opt.Progress != nil {
				el := time.Since(start)
				opt.Progress(Progress{Stage: s.stage, Epoch: epoch + 1, Epochs: epochs, Step: step + 1, Steps: steps, Phase: phase,
					Loss: m.Loss, Accuracy: m.Accuracy, LatencyMs: m.LatencyMs, Utilization: m.Utilization,
					Elapsed: el, ETA: time.Duration(float64(el) / float64(done) * float64(total-done))})
			}
		}
		loader.Reset()
		arraysLeft := s.halveArrays(ctx, epochs, epoch+1)
		// Epoch summary: the argmax network priced by the exact model.
		net, err := s.derived(ctx)
		if err != nil {
			return nil, err
		}
		sum := Metric{Stage: s.stage, Epoch: epoch + 1, Phase: "epoch", Tau: tau, LR: lr}
		chosen := s.chosenAccel(ctx)
		if len(cfg.Arrays) > 0 {
			sum.ArrayCosts, sum.ArrayUtils, sum.ArrayProbs = arrayCosts, arrayUtils, softmax(s.arrayLogits(ctx))
			sum.Array = chosen.Shape()
			sum.ArraysLeft = arraysLeft
		}
		if layers, err := net.Layers(); err == nil {
			if r, err := cost.Systolic().Estimate(chosen, layers); err == nil {
				sum.ArgmaxLatencyMs, sum.ArgmaxUtilization = r.Total.LatencyMs, r.Total.Utilization
			}
		}
		if s.stage == StageMicro {
			alphas, _, err := s.genotype(ctx)
			if err != nil {
				return nil, err
			}
			for _, logits := range alphas[0] {
				sum.OpProbs = append(sum.OpProbs, softmax(logits))
			}
		}
		if err := metrics.write(sum); err != nil {
			return nil, err
		}
		if err := handler.Save(); err != nil {
			return nil, fmt.Errorf("%s: %w", ck, err)
		}
		names, err := handler.ListCheckpoints()
		if err != nil || len(names) == 0 {
			return nil, fmt.Errorf("%s: checkpoint not listed after saving: %v", ck, err)
		}
		st = stageState{EpochsDone: epoch + 1, Checkpoint: names[len(names)-1], Previous: st.Checkpoint}
		if err := metrics.sync(); err != nil {
			return nil, err
		}
		if err := jsonfile.Write(statePath, st); err != nil {
			return nil, err
		}
	}
	return ctx, nil
}

// scalarOf reads a scalar tensor as float64.
func scalarOf(t *tensors.Tensor) float64 {
	switch v := t.Value().(type) {
	case float32:
		return float64(v)
	case float64:
		return v
	}
	return math.NaN()
}

// metricsFile appends JSON lines to metrics.jsonl.
type metricsFile struct {
	f *os.File
	w *bufio.Writer
}

// openMetrics opens metrics.jsonl keeping only the lines of epochs ≤ keepEpochs, so a resumed run's
// file reads as if it had never been interrupted.
func openMetrics(path string, keepEpochs int) (*metricsFile, error) {
	var kept []byte
	if raw, err := os.ReadFile(path); err == nil && keepEpochs > 0 {
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m Metric
			if json.Unmarshal(sc.Bytes(), &m) == nil && m.Epoch <= keepEpochs {
				kept = append(append(kept, sc.Bytes()...), '\n')
			}
		}
	}
	// The kept lines replace the file atomically, so a crash here loses no finished epoch's lines; new
	// lines are then appended (and synced with each checkpoint).
	if err := atomicfile.WriteBytes(path, kept); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, err
	}
	return &metricsFile{f: f, w: bufio.NewWriter(f)}, nil
}

func (m *metricsFile) write(v Metric) error {
	line, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = m.w.Write(append(line, '\n'))
	return err
}

func (m *metricsFile) sync() error {
	if err := m.w.Flush(); err != nil {
		return err
	}
	return m.f.Sync()
}

func (m *metricsFile) Close() error {
	m.w.Flush()
	return m.f.Close()
}

// softmax returns exp(x_i − max) / Σ exp(x_j − max).
func softmax(x []float64) []float64 {
	out := make([]float64, len(x))
	hi := math.Inf(-1)
	for _, v := range x {
		hi = math.Max(hi, v)
	}
	sum := 0.0
	for i, v := range x {
		out[i] = math.Exp(v - hi)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}
