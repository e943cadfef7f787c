// Package stepbench times one full CNN training step — forward, backward and both optimizers — on
// the uboost engine, for `uboost bench step` and docs/RESULTS.md. Its "probe" model is the
// design probe's two-block supernet, the same network bench/torch_probe.py builds in PyTorch for
// the side-by-side:
//
//	stem conv3×3→C + BN + ReLU
//	mixed block: conv3×3, conv5×5, sep3×3 (dw3×3 + 1×1), dil3×3 (d=2), each + BN + ReLU,
//	             weighted by Gumbel-softmax(α, τ=1) and masked by a soft channel count
//	max-pool 2×2, second mixed block, global average pool, dense → 10
//	loss = cross-entropy + λ·Σ_blocks Σ_ops w_i·latency_i(⌈c_in/8⌉, ⌈c_out/8⌉)  (paper's smooth ceiling)
//
// Weights train with SGD (momentum 0.9, weight decay 3e-4, lr 0.05), architecture variables (α and
// the width logits) with Adam (lr 3e-3), both with PyTorch's update rules.
package stepbench

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/batchnorm"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/cost/costgraph"
	"github.com/uboost/uboost/engine"
)

// Config is one benchmark run.
type Config struct {
	Model    string // "probe" for Run; the command names its other models here
	Batch    int    // images per step
	Channels int    // C, the width of every layer of the probe
	Threads  int    // cores; <= 0 keeps the engine's setting (all cores by default)
	Steps    int    // timed steps, after one untimed step that compiles the graph
	Seed     uint64
	// ProfileOps records the time of each op kind over the timed steps (Result.Profile).
	ProfileOps bool
}

// DefaultConfig is the setting: batch 64, 32×32×3 images, 32 channels, 10 timed steps.
func DefaultConfig() Config {
	return Config{Model: "probe", Batch: 64, Channels: 32, Threads: 0, Steps: 10, Seed: 1}
}

// Result is what one run measured.
type Result struct {
	Model           string    `json:"model"`
	Backend         string    `json:"backend"`
	BLAS            string    `json:"blas"`
	Batch           int       `json:"batch"`
	Threads         int       `json:"threads"`
	Steps           int       `json:"steps"`
	ImagesPerSecond float64   `json:"images_per_second"`
	SecondsPerStep  float64   `json:"seconds_per_step"` // median of the timed steps
	FirstStepS      float64   `json:"first_step_seconds"`
	StepSeconds     []float64 `json:"step_seconds"`
	PeakRSSMB       float64   `json:"peak_rss_mb"`
	// CPUSecondsStep is the process's user+system CPU time per timed step: on a machine shared
	// with other work it tracks the work done better than the wall time does.
	CPUSecondsStep float64   `json:"cpu_seconds_per_step"`
	Losses         []float64 `json:"losses"`
	// Profile is the time per step of each op kind, when Config.ProfileOps is set.
	Profile []OpShare `json:"profile,omitempty"`
}

// OpShare is one line of a step profile.
type OpShare struct {
	Op           string  `json:"op"`
	CallsPerStep float64 `json:"calls_per_step"`
	SecondsStep  float64 `json:"seconds_per_step"`
}

// Hyperparameters of the probe, shared with bench/torch_probe.py.
const (
	tau         = 1.0
	lambda      = 0.1
	sgdLR       = 0.05
	sgdMomentum = 0.9
	weightDecay = 3e-4
	adamLR      = 3e-3
	adamBeta1   = 0.9
	adamBeta2   = 0.999
	adamEps     = 1e-8
	bnMomentum  = 0.9 // GoMLX's convention: weight of the old average (PyTorch's 0.1)
	bnEpsilon   = 1e-5
	tileC       = 8 // channels per latency tile
	archScope   = "arch"
	modelScope  = "model"
	numOps      = 4
)

// Run builds the probe on the engine's backend and times cfg.Steps training steps. (`uboost bench
// step` builds its other models, a search preset's supernet and any arch.json, and times them with
// Measure.)
func Run(cfg Config) (*Result, error) {
	if cfg.Model != "probe" {
		return nil, fmt.Errorf("stepbench: unknown model %q (want probe)", cfg.Model)
	}
	if cfg.Batch < 1 || cfg.Channels < 1 || cfg.Steps < 1 {
		return nil, fmt.Errorf("stepbench: batch %d, channels %d, steps %d: all must be positive", cfg.Batch, cfg.Channels, cfg.Steps)
	}
	if cfg.Threads > 0 {
		// Only the engine's compute threads are capped: GOMAXPROCS stays as it is, because with a
		// single P the Go scheduler hands the P off during every OpenBLAS call longer than 20µs
		// (thousands of thread switches per step); with a spare, idle P it does not.
		engine.SetThreads(cfg.Threads)
	}
	backend, err := engine.NewBackend()
	if err != nil {
		return nil, err
	}
	return runProbe(backend, cfg)
}

func runProbe(backend backends.Backend, cfg Config) (res *Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("stepbench: %v", r)
		}
	}()
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(int64(cfg.Seed)); err != nil {
		return nil, fmt.Errorf("stepbench: %w", err)
	}
	m := &probe{c: cfg.Channels}
	trainer := train.NewTrainer(backend, ctx, m.build, losses.SparseCategoricalCrossEntropyLogits, &twoOptimizers{}, nil, nil)

	x, y := SyntheticBatch(cfg.Seed, cfg.Batch, 32, 32, 3, 10)
	res = &Result{Model: cfg.Model, Backend: backend.Name(), Batch: cfg.Batch}
	step := func() (float64, error) {
		metrics, err := trainer.TrainStep(nil, []*tensors.Tensor{x}, []*tensors.Tensor{y})
		if err != nil {
			return 0, err
		}
		v, _ := metrics[0].Value().(float32)
		return float64(v), nil
	}
	if err := Measure(res, cfg, step); err != nil {
		return nil, err
	}
	return res, nil
}

// Measure times step for res: one untimed step that compiles the graph (FirstStepS), then cfg.Steps
// timed ones, and fills res's BLAS, Threads, Steps, StepSeconds, SecondsPerStep (the median),
// ImagesPerSecond (res.Batch per median step), CPUSecondsStep, Losses, PeakRSSMB and, with
// cfg.ProfileOps, Profile. step returns the step's loss. Every `uboost bench step` model is timed here.
func Measure(res *Result, cfg Config, step func() (loss float64, err error)) error {
	if cfg.Steps < 1 {
		return fmt.Errorf("stepbench: %d timed steps, want at least 1", cfg.Steps)
	}
	res.BLAS = "pure-Go GEMM"
	if loaded, lib := engine.BLAS(); loaded {
		res.BLAS = lib
	}
	res.Threads, res.Steps = engine.Threads(), cfg.Steps
	var cpu0 float64
	for i := 0; i <= cfg.Steps; i++ {
		if i == 1 {
			cpu0 = CPUSeconds()
		}
		start := time.Now()
		loss, err := step()
		if err != nil {
			return fmt.Errorf("stepbench: step %d: %w", i, err)
		}
		elapsed := time.Since(start).Seconds()
		if i == 0 {
			res.FirstStepS = elapsed
			if cfg.ProfileOps {
				engine.ProfileOps(true)
				engine.OpProfile() // drops the compile step's times
				defer engine.ProfileOps(false)
			}
		} else {
			res.StepSeconds = append(res.StepSeconds, elapsed)
		}
		res.Losses = append(res.Losses, loss)
	}
	res.CPUSecondsStep = (CPUSeconds() - cpu0) / float64(cfg.Steps)
	sorted := slices.Clone(res.StepSeconds)
	slices.Sort(sorted)
	res.SecondsPerStep = sorted[len(sorted)/2]
	res.ImagesPerSecond = float64(res.Batch) / res.SecondsPerStep
	res.PeakRSSMB = PeakRSSMB()
	if cfg.ProfileOps {
		for _, t := range engine.OpProfile() {
			res.Profile = append(res.Profile, OpShare{Op: t.Op, CallsPerStep: float64(t.Calls) / float64(cfg.Steps),
				SecondsStep: t.Time.Seconds() / float64(cfg.Steps)})
		}
	}
	return nil
}

// SyntheticBatch is n standard-normal images of h×w×c (float32, N×H×W×C) and uniformly drawn labels
// of classes classes (int32, N×1), a pure function of seed: timing does not depend on the values.
func SyntheticBatch(seed uint64, n, h, w, c, classes int) (images, labels *tensors.Tensor) {
	r := rand.New(rand.NewPCG(seed, 2))
	imgs := make([]float32, n*h*w*c)
	for i := range imgs {
		imgs[i] = float32(r.NormFloat64())
	}
	lbl := make([]int32, n)
	for i := range lbl {
		lbl[i] = int32(r.IntN(classes))
	}
	return tensors.FromFlatDataAndDimensions(imgs, n, h, w, c), tensors.FromFlatDataAndDimensions(lbl, n, 1)
}

// CPUSeconds is the process's user+system CPU time so far.
func CPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// PeakRSSMB returns the process's peak resident memory (VmHWM) in MiB, or 0 where /proc is absent.
func PeakRSSMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err == nil {
				return kb / 1024
			}
		}
	}
	return 0
}

// probe builds the two-block supernet.
type probe struct{ c int }

func (m *probe) build(ctx *context.Context, _ any, inputs []*Node) []*Node {
	x := inputs[0]
	g := x.Graph()
	mctx := ctx.In(modelScope)
	h := convBNReLU(mctx.In("stem"), x, m.c, 3, 1)
	h, lat1, c1 := m.mixed(ctx, "block1", h, Scalar(g, dtypes.Float32, float64(m.c)))
	h = MaxPool(h).Window(2).Done()
	h, lat2, _ := m.mixed(ctx, "block2", h, c1)
	h = ReduceMean(h, 1, 2)
	logits := layers.Dense(mctx.In("head"), h, true, 10)
	train.AddLoss(ctx, MulScalar(Add(lat1, lat2), lambda))
	return []*Node{logits}
}

func conv(ctx *context.Context, x *Node, cout, k, dilation, groups int) *Node {
	cin := x.Shape().Dimensions[3]
	w := ctx.VariableWithShape("weights", shapes.Make(x.DType(), k, k, cin/groups, cout)).ValueGraph(x.Graph())
	cb := Convolve(x, w).PadSame()
	if dilation > 1 {
		cb = cb.Dilations(dilation)
	}
	if groups > 1 {
		cb = cb.ChannelGroupCount(groups)
	}
	return cb.Done()
}

func bnReLU(ctx *context.Context, x *Node) *Node {
	y := batchnorm.New(ctx, x, -1).Momentum(bnMomentum).Epsilon(bnEpsilon).Done()
	return Max(y, ScalarZero(y.Graph(), y.DType()))
}

func convBNReLU(ctx *context.Context, x *Node, cout, k, dilation int) *Node {
	return bnReLU(ctx, conv(ctx, x, cout, k, dilation, 1))
}

// mixed returns the block output, its expected latency and its soft output width.
func (m *probe) mixed(ctx *context.Context, name string, x, cinSoft *Node) (y, latency, coutSoft *Node) {
	g := x.Graph()
	mctx, actx := ctx.In(modelScope).In(name), ctx.In(archScope).In(name)
	alpha := actx.WithInitializer(initializers.Zero).VariableWithShape("alpha", shapes.Make(dtypes.Float32, numOps)).ValueGraph(g)
	widthLogit := actx.VariableWithValue("width_logit", float32(1)).ValueGraph(g)

	// Gumbel-softmax weights: softmax((α − log(−log u))/τ), u ~ U(0,1) fresh each step.
	u := ctx.RandomUniform(g, alpha.Shape())
	gumbel := Neg(Log(Neg(Log(AddScalar(u, 1e-10)))))
	w := Softmax(DivScalar(Add(alpha, gumbel), tau), -1)

	sep := mctx.In("op2_sep3x3")
	ops := []*Node{
		convBNReLU(mctx.In("op0_conv3x3"), x, m.c, 3, 1),
		convBNReLU(mctx.In("op1_conv5x5"), x, m.c, 5, 1),
		bnReLU(sep, conv(sep.In("pw"), conv(sep.In("dw"), x, m.c, 3, 1, m.c), m.c, 1, 1, 1)),
		convBNReLU(mctx.In("op3_dil3x3"), x, m.c, 3, 2),
	}
	for i, op := range ops {
		term := Mul(op, Reshape(Slice(w, AxisElem(i))))
		if y == nil {
			y = term
		} else {
			y = Add(y, term)
		}
	}
	// Soft channel count and mask: channel j kept with weight σ(4·(c_soft − j − 0.5)).
	coutSoft = MulScalar(Sigmoid(widthLogit), float64(m.c))
	idx := Iota(g, shapes.Make(dtypes.Float32, m.c), 0)
	mask := Sigmoid(MulScalar(Sub(coutSoft, AddScalar(idx, 0.5)), 4))
	y = Mul(y, Reshape(mask, 1, 1, 1, m.c))

	// Latency in arbitrary units from tile counts ⌈c/8⌉ through the paper's smooth ceiling.
	al := costgraph.New(g, dtypes.Float32)
	hw := float64(x.Shape().Dimensions[1]*x.Shape().Dimensions[2]) * 1e-5
	tin := cost.Ceil[*Node](al, cost.PaperCeil, DivScalar(cinSoft, tileC))
	tout := cost.Ceil[*Node](al, cost.PaperCeil, DivScalar(coutSoft, tileC))
	io := Mul(tin, tout)
	lats := Stack([]*Node{
		MulScalar(io, 9*hw),
		MulScalar(io, 25*hw),
		Add(MulScalar(tin, 9*hw*2), MulScalar(io, hw)),
		MulScalar(io, 9*hw*1.3),
	}, 0)
	latency = ReduceAllSum(Mul(w, lats))
	return y, latency, coutSoft
}

// twoOptimizers updates the /model variables with SGD (momentum, weight decay) and the /arch
// variables with Adam, from one gradient of the loss — PyTorch's update rules for both:
//
//	SGD:  b ← μ·b + (g + wd·w);  w ← w − lr·b
//	Adam: m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  w ← w − lr·(m/(1−β1^t)) / (√(v/(1−β2^t)) + ε)
type twoOptimizers struct{}

func (twoOptimizers) UpdateGraph(ctx *context.Context, g *Graph, loss *Node) {
	var vars []*context.Variable
	for v := range ctx.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			vars = append(vars, v)
		}
	}
	wrt := make([]*Node, len(vars))
	for i, v := range vars {
		wrt[i] = v.ValueGraph(g)
	}
	grads := Gradient(loss, wrt...)
	step := optimizers.IncrementGlobalStepGraph(ctx, g, dtypes.Float32)
	for i, v := range vars {
		w, grad := wrt[i], grads[i]
		state := ctx.InAbsPath("/opt" + v.Scope()).Checked(false).WithInitializer(initializers.Zero)
		if strings.HasPrefix(v.Scope(), "/"+archScope) {
			mv := state.VariableWithShape(v.Name()+"_m", v.Shape()).SetTrainable(false)
			vv := state.VariableWithShape(v.Name()+"_v", v.Shape()).SetTrainable(false)
			m := Add(MulScalar(mv.ValueGraph(g), adamBeta1), MulScalar(grad, 1-adamBeta1))
			s := Add(MulScalar(vv.ValueGraph(g), adamBeta2), MulScalar(Square(grad), 1-adamBeta2))
			mv.SetValueGraph(m)
			vv.SetValueGraph(s)
			mHat := Div(m, OneMinus(Pow(Scalar(g, dtypes.Float32, adamBeta1), step)))
			sHat := Div(s, OneMinus(Pow(Scalar(g, dtypes.Float32, adamBeta2), step)))
			v.SetValueGraph(Sub(w, MulScalar(Div(mHat, AddScalar(Sqrt(sHat), adamEps)), adamLR)))
			continue
		}
		bv := state.VariableWithShape(v.Name()+"_momentum", v.Shape()).SetTrainable(false)
		b := Add(MulScalar(bv.ValueGraph(g), sgdMomentum), Add(grad, MulScalar(w, weightDecay)))
		bv.SetValueGraph(b)
		v.SetValueGraph(Sub(w, MulScalar(b, sgdLR)))
	}
}

func (twoOptimizers) Clear(*context.Context) error { return nil }
