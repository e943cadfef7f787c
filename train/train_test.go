package train

import (
	stdctx "context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
	gtrain "github.com/gomlx/gomlx/pkg/ml/train"

	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/data"
	"github.com/uboost/uboost/engine"
)

// TestScheduleGraph checks the one-cycle schedule against hand values for 100 steps, peak 0.1,
// warm-up 0.2: step 0 starts at 0.1/25 = 0.004; step 10 (t = 0.1, half the ramp) is
// 0.1·(0.04 + 0.96·0.5) = 0.052; step 20 ends the ramp at 0.1; step 60 is half-way down the cosine,
// 0.1·½·(1 + cos(π/2)) = 0.05; step 100 reaches 0.
func TestScheduleGraph(t *testing.T) {
	exec := graph.MustNewExec(engine.Backend(), func(s *graph.Node) *graph.Node {
		return scheduleGraph(s, 100, 0.1, 0.2)
	})
	for _, c := range []struct{ step, want float64 }{{0, 0.004}, {10, 0.052}, {20, 0.1}, {60, 0.05}, {100, 0}} {
		got := tensors.ToScalar[float32](exec.MustExec(float32(c.step))[0])
		if math.Abs(float64(got)-c.want) > 1e-7 {
			t.Errorf("step %g: rate %g, want %g", c.step, got, c.want)
		}
	}
}

// TestSGDUpdate runs two optimizer steps on loss = Σ w·c with w = [1, −2], c = [3, 4], rate 0.1 on a
// 2-step cosine schedule (0.1 at step 0, 0.1·½·(1+cos(π/2)) = 0.05 at step 1), μ = 0.9, Nesterov, weight
// decay 0.1, clipping at norm 2.5. The gradient c has norm 5, so it is halved to [1.5, 2] (up to the
// 1e-6 guard).
//
//	step 0: g = [1.5, 2] + 0.1·[1, −2] = [1.6, 1.8];  v = g;  g + 0.9v = [3.04, 3.42]
//	        w = [1, −2] − 0.1·[3.04, 3.42] = [0.696, −2.342]
//	step 1: g = [1.5, 2] + 0.1·w = [1.5696, 1.7658];  v = 0.9·[1.6, 1.8] + g = [3.0096, 3.3858]
//	        g + 0.9v = [4.27824, 4.81302];  w = [0.696, −2.342] − 0.05·that = [0.482088, −2.582651]
func TestSGDUpdate(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Schedule, cfg.LR, cfg.Momentum, cfg.Nesterov, cfg.WeightDecay, cfg.ClipNorm = Cosine, 0.1, 0.9, true, 0.1, 2.5
	opt := &sgd{cfg: cfg, totalSteps: 2}
	ctx := context.New()
	w := ctx.In("layer").VariableWithValue("weights", [][]float32{{1, -2}})
	exec := context.MustNewExec(engine.Backend(), ctx, func(ctx *context.Context, c *graph.Node) *graph.Node {
		loss := graph.ReduceAllSum(graph.Mul(w.ValueGraph(c.Graph()), c))
		opt.UpdateGraph(ctx, c.Graph(), loss)
		return loss
	})
	c := tensors.FromValue([][]float32{{3, 4}})
	for step, want := range [][2]float64{{0.696, -2.342}, {0.482088, -2.582651}} {
		exec.MustExec(c)
		got := tensors.MustCopyFlatData[float32](w.MustValue())
		for i := range want {
			if math.Abs(float64(got[i])-want[i]) > 2e-6 {
				t.Errorf("step %d: w = %v, want %v", step, got, want)
				break
			}
		}
	}
}

// TestWeightDecayAll: weight decay reaches a bias (rank 1) only with WeightDecayAll. Plain SGD at
// rate 0.1, decay 0.5, one constant-rate step (Cosine over 1000 steps: rate 0.1 at step 0) on
// loss = 2·b: g = 2 (+ 0.5·b = 0.5 with decay), b = 1 − 0.1·g = 0.8, or 0.75 with decay on the bias.
func TestWeightDecayAll(t *testing.T) {
	for _, all := range []bool{false, true} {
		cfg := DefaultConfig()
		cfg.Schedule, cfg.LR, cfg.Momentum, cfg.WeightDecay, cfg.ClipNorm, cfg.WeightDecayAll = Cosine, 0.1, 0, 0.5, 0, all
		opt := &sgd{cfg: cfg, totalSteps: 1000}
		ctx := context.New()
		b := ctx.In("layer").VariableWithValue("bias", []float32{1})
		exec := context.MustNewExec(engine.Backend(), ctx, func(ctx *context.Context, c *graph.Node) *graph.Node {
			loss := graph.ReduceAllSum(graph.Mul(b.ValueGraph(c.Graph()), c))
			opt.UpdateGraph(ctx, c.Graph(), loss)
			return loss
		})
		exec.MustExec(tensors.FromValue([]float32{2}))
		want := 0.8
		if all {
			want = 0.75
		}
		if got := tensors.MustCopyFlatData[float32](b.MustValue())[0]; math.Abs(float64(got)-want) > 1e-6 {
			t.Errorf("WeightDecayAll %v: bias %v, want %v", all, got, want)
		}
	}
}

// tinyNet is a 28×28×1 classifier small enough for unit tests: a strided conv with BN, max pooling,
// a depthwise conv, global pooling and a dense layer.
func tinyNet() *arch.Network {
	return &arch.Network{
		Format: arch.Format, Name: "tiny", Input: arch.Shape{H: 28, W: 28, C: 1}, Classes: 10,
		Nodes: []arch.Node{
			{Name: "c1", Op: arch.OpConv, Inputs: []string{"input"}, Kernel: 3, Stride: 2, Channels: 8, BN: true, Act: arch.ActReLU},
			{Name: "p1", Op: arch.OpMaxPool, Inputs: []string{"c1"}, Kernel: 2, Stride: 2},
			{Name: "d1", Op: arch.OpDepthwise, Inputs: []string{"p1"}, Kernel: 3, BN: true, Act: arch.ActReLU},
			{Name: "gap", Op: arch.OpAvgPool, Inputs: []string{"d1"}, Global: true},
			{Name: "fc", Op: arch.OpDense, Inputs: []string{"gap"}, Channels: 10},
		},
	}
}

// tinyData is the built-in data set cut to 640 training and 200 test images.
func tinyData(t *testing.T) *data.Dataset {
	t.Helper()
	ds, err := data.Open("builtin", data.Options{Seed: 1, ValFraction: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	d := *ds
	d.Train, d.Val, d.Test = ds.Train.Take(640), ds.Val.Take(100), ds.Test.Take(200)
	return &d
}

func tinyConfig() Config {
	cfg := DefaultConfig()
	cfg.Epochs, cfg.Batch, cfg.LogEvery, cfg.CheckpointEvery, cfg.EvalBatch = 2, 64, 4, 3, 100
	return cfg
}

// TestRunEndToEnd trains the tiny net for 2 epochs of 10 steps and checks the run directory: the
// files, one metrics line per 4 steps plus the epoch ends, the result against a re-evaluation, and
// the parameter count against the model's variables.
func TestRunEndToEnd(t *testing.T) {
	dir := t.TempDir()
	ds := tinyData(t)
	res, err := Run(stdctx.Background(), tinyConfig(), tinyNet(), ds, dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 20 || res.TestImages != 200 {
		t.Errorf("steps %d, test images %d; want 20 and 200", res.Steps, res.TestImages)
	}
	// 8·9 + 8·2 (c1, BN) + 9·8 + 8·2 (d1, BN) + 8·10 + 10 (fc) = 266.
	if res.Params != 266 {
		t.Errorf("params %d, want 266", res.Params)
	}
	if !(res.TestAccuracy > 0.2 && res.Top5 >= res.TestAccuracy && res.Top5 <= 1) {
		t.Errorf("accuracy %v, top-5 %v: want better than chance (0.1) after 20 steps, and top-5 ≥ top-1", res.TestAccuracy, res.Top5)
	}
	for _, f := range []string{ConfigFile, ArchFile, MetricsFile, ResultFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	lines := readMetrics(t, dir)
	// Logged at steps 4, 8, 10 (epoch end), 12, 16, 20.
	var steps []int
	for _, l := range lines {
		steps = append(steps, l.Step)
	}
	if want := []int{4, 8, 10, 12, 16, 20}; !equalInts(steps, want) {
		t.Errorf("metrics steps %v, want %v", steps, want)
	}
	if lines[2].ValAccuracy == nil || lines[0].ValAccuracy != nil {
		t.Errorf("validation accuracy must be logged at epoch ends only")
	}
	again, err := Evaluate(dir, ds)
	if err != nil {
		t.Fatal(err)
	}
	if again.TestAccuracy != res.TestAccuracy || again.Top5 != res.Top5 || again.Steps != 20 {
		t.Errorf("Evaluate: accuracy %v top-5 %v steps %d; Run reported %v %v %d", again.TestAccuracy, again.Top5, again.Steps, res.TestAccuracy, res.Top5, res.Steps)
	}
	// A second Run without Resume must refuse to overwrite.
	if _, err := Run(stdctx.Background(), tinyConfig(), tinyNet(), ds, dir); err == nil || !strings.Contains(err.Error(), "already holds a run") {
		t.Errorf("second Run: %v, want an 'already holds a run' error", err)
	}
}

// TestResumeEquivalence interrupts a run twice — once as a crash after step 5 (the last checkpoint is
// at step 3, so steps 4–5 are redone) and once by cancelling the context — and checks that resuming
// ends with exactly the weights, batch losses, rates, validation and test accuracy of an uninterrupted
// run. (The moving averages of loss and accuracy restart with each session: GoMLX's loop resets them.)
// A checkpoint torn by a kill during saving is skipped in favour of the previous one.
func TestResumeEquivalence(t *testing.T) {
	ds := tinyData(t)
	net := tinyNet()
	straight := t.TempDir()
	want, err := Run(stdctx.Background(), tinyConfig(), net, ds, straight)
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	cfg := tinyConfig()
	cfg.StopAfter = 5
	if _, err := Run(stdctx.Background(), cfg, net, ds, dir); !errors.Is(err, ErrStopped) {
		t.Fatalf("StopAfter: got %v, want ErrStopped", err)
	}
	// A kill while saving step 6's checkpoint: its metadata cut short.
	ckpts, _ := filepath.Glob(filepath.Join(dir, CheckpointsDir, "checkpoint-*.json"))
	torn := strings.Replace(ckpts[len(ckpts)-1], "step-00000003", "step-00000006", 1)
	torn = strings.Replace(torn, "checkpoint-n0000000", "checkpoint-n0000009", 1)
	if err := os.WriteFile(torn, []byte(`{"Variables": [`), 0o644); err != nil {
		t.Fatal(err)
	}

	cfg = tinyConfig()
	cfg.Resume = true
	ctx, cancel := stdctx.WithCancel(stdctx.Background())
	steps := 0
	cfg.OnLoop = func(loop *gtrain.Loop) {
		loop.OnStep("cancel", 0, func(*gtrain.Loop, []*tensors.Tensor) error {
			if steps++; steps == 4 {
				cancel()
			}
			return nil
		})
	}
	if _, err := Run(ctx, cfg, net, ds, dir); !errors.Is(err, ErrStopped) || !errors.Is(err, stdctx.Canceled) {
		t.Fatalf("cancelled run: got %v, want ErrStopped and context.Canceled", err)
	}
	cfg.OnLoop = nil
	got, err := Run(stdctx.Background(), cfg, net, ds, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.TestAccuracy != want.TestAccuracy || got.TestLoss != want.TestLoss || got.Steps != want.Steps {
		t.Errorf("resumed run: accuracy %v loss %v steps %d; uninterrupted: %v %v %d",
			got.TestAccuracy, got.TestLoss, got.Steps, want.TestAccuracy, want.TestLoss, want.Steps)
	}
	a, b := readMetrics(t, straight), readMetrics(t, dir)
	if len(a) != len(b) {
		t.Fatalf("metrics: %d lines resumed, %d uninterrupted", len(b), len(a))
	}
	for i := range a {
		if a[i].Step != b[i].Step || a[i].Loss != b[i].Loss || a[i].LR != b[i].LR || !equalPtr(a[i].ValAccuracy, b[i].ValAccuracy) {
			t.Errorf("metrics line %d: resumed %+v, uninterrupted %+v", i, b[i], a[i])
		}
	}
	wa, wb := finalWeights(t, straight), finalWeights(t, dir)
	for name, va := range wa {
		vb, ok := wb[name]
		if !ok || len(vb) != len(va) {
			t.Errorf("variable %s: %d values resumed, %d uninterrupted", name, len(vb), len(va))
			continue
		}
		for i := range va {
			if va[i] != vb[i] {
				t.Errorf("variable %s[%d]: resumed %v, uninterrupted %v", name, i, vb[i], va[i])
				break
			}
		}
	}
}

// TestRunErrors checks that bad recipes and mismatched data give one-line errors naming the problem.
func TestRunErrors(t *testing.T) {
	ds := tinyData(t)
	cfg := tinyConfig()
	cfg.Batch = 0
	if _, err := Run(stdctx.Background(), cfg, tinyNet(), ds, t.TempDir()); err == nil || !strings.Contains(err.Error(), `"batch"`) {
		t.Errorf("batch 0: %v", err)
	}
	net := tinyNet()
	net.Input.C = 3
	if _, err := Run(stdctx.Background(), tinyConfig(), net, ds, t.TempDir()); err == nil || !strings.Contains(err.Error(), "28×28×3") {
		t.Errorf("3-channel net on 1-channel data: %v", err)
	}
	dir := t.TempDir()
	if _, err := Run(stdctx.Background(), tinyConfig(), tinyNet(), ds, dir); err != nil {
		t.Fatal(err)
	}
	cfg = tinyConfig()
	cfg.Resume, cfg.Epochs = true, 3
	if _, err := Run(stdctx.Background(), cfg, tinyNet(), ds, dir); err == nil || !strings.HasSuffix(err.Error(), "--resume with a different configuration: epochs 2 → 3") {
		t.Errorf("resume with other epochs: %v", err)
	}
	if _, err := Evaluate(t.TempDir(), ds); err == nil {
		t.Errorf("Evaluate of an empty directory: no error")
	}
}

func readMetrics(t *testing.T, dir string) []MetricsLine {
	t.Helper()
	blob, err := os.ReadFile(filepath.Join(dir, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	var out []MetricsLine
	for _, line := range strings.Split(strings.TrimSpace(string(blob)), "\n") {
		var m MetricsLine
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// finalWeights loads a run's last checkpoint and returns its float32 variables by name.
func finalWeights(t *testing.T, dir string) map[string][]float32 {
	t.Helper()
	ctx := context.New()
	if _, err := checkpoints.Load(ctx).Dir(filepath.Join(dir, CheckpointsDir)).Immediate().Done(); err != nil {
		t.Fatal(err)
	}
	out := map[string][]float32{}
	for v := range ctx.IterVariables() {
		if v.DType() == dtypes.Float32 {
			out[v.ScopeAndName()] = tensors.MustCopyFlatData[float32](v.MustValue())
		}
	}
	if len(out) < 10 {
		t.Fatalf("%s: %d float32 variables in the checkpoint, want weights, BN and momentum", dir, len(out))
	}
	return out
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalPtr(a, b *float64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}
