// Package train trains a discrete architecture (package arch) from scratch and evaluates it: the
// final step of uboost's pipeline, used by `uboost train`, `uboost evaluate` and the end-to-end search.
//
// A run lives in one directory:
//
//	config.json    the recipe (Config) and the data spec
//	arch.json      the network trained
//	metrics.jsonl  one JSON object per logged step (step, epoch, lr, loss, train accuracy, images/s, …)
//	checkpoints/   GoMLX checkpoints (the last two): weights, batch-norm averages, momentum, step
//	result.json    the Result, written when training ends
//
// Training is resumable: Run with Config.Resume continues from the last checkpoint with the same batch
// order, augmentation and optimizer state it would have had without the interruption (the batch
// stream is a pure function of seed and step, see package data), so a crash costs at most one
// checkpoint interval and a cancelled context (Ctrl-C) costs nothing: Run saves before returning.
// A checkpoint cut short by a crash is detected and skipped in favour of the previous one.
//
// The model is built by package nn; the optimizer is SGD with Nesterov momentum, weight decay,
// gradient clipping and a one-cycle or cosine schedule, in the train step graph (see sgd). Training
// runs on GoMLX's train.Trainer and train.Loop, on the backend of package engine.
package train

import (
	"bufio"
	"bytes"
	stdctx "context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
	gtrain "github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/metrics"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/data"
	"github.com/uboost/uboost/engine"
	"github.com/uboost/uboost/internal/atomicfile"
	"github.com/uboost/uboost/internal/checkpoint"
	"github.com/uboost/uboost/internal/jsonfile"
	"github.com/uboost/uboost/internal/runconfig"
	"github.com/uboost/uboost/internal/runlock"
)

// Files of a run directory.
const (
	ConfigFile     = "config.json"
	ArchFile       = "arch.json"
	MetricsFile    = "metrics.jsonl"
	ResultFile     = "result.json"
	CheckpointsDir = "checkpoints"
)

// ErrStopped is returned (wrapped) by Run when it ended early: the context was cancelled or
// Config.StopAfter steps were taken. The run directory can be resumed.
var ErrStopped = errors.New("training stopped before the end")

// Result is what a finished run reports; it is the content of result.json.
type Result struct {
	// TestAccuracy is the top-1 accuracy on the test split, a fraction; Top5 the top-5 accuracy.
	TestAccuracy float64 `json:"test_accuracy"`
	Top5         float64 `json:"top5"`
	// TestLoss is the mean cross-entropy on the test split; TestImages its size.
	TestLoss   float64 `json:"test_loss"`
	TestImages int     `json:"test_images"`
	// Params is the number of trainable parameters (arch.Network.Params).
	Params int64 `json:"params"`
	// Arch and Data name the network and the data set.
	Arch string `json:"arch"`
	Data string `json:"data"`
	// Steps, Epochs and Batch describe the training done.
	Steps  int `json:"steps"`
	Epochs int `json:"epochs"`
	Batch  int `json:"batch"`
	// TrainSeconds is the wall time spent in training steps over all sessions of the run (up to its
	// last checkpoint); ImagesPerSecond the training throughput of the last session (graph compilation
	// included), absent from Evaluate's results.
	TrainSeconds    float64 `json:"train_seconds"`
	ImagesPerSecond float64 `json:"images_per_second,omitempty"`
	// Backend names the GoMLX backend that ran it.
	Backend string `json:"backend"`
}

// MetricsLine is one line of metrics.jsonl. Val fields are set on the lines that close an epoch
// when the data set has a validation split.
type MetricsLine struct {
	Step          int      `json:"step"`
	Epoch         float64  `json:"epoch"`
	LR            float64  `json:"lr"`
	Loss          float64  `json:"loss"`
	LossAvg       float64  `json:"loss_avg"`
	TrainAccuracy float64  `json:"train_accuracy"`
	ImagesPerSec  float64  `json:"images_per_s"`
	ElapsedS      float64  `json:"elapsed_s"`
	ValAccuracy   *float64 `json:"val_accuracy,omitempty"`
	ValLoss       *float64 `json:"val_loss,omitempty"`
}

// trainSecondsVar names the variable of trainSeconds.
const trainSecondsVar = "train_seconds"

// Run trains net on ds with the recipe cfg, writing the run to outDir (see the package doc), and
// returns the evaluation on ds's test split. With cfg.Resume it continues a run found in outDir (the
// recipe and network must be the same); without it, an outDir that already holds a run is an error.
// Cancelling ctx stops training after the current step, saves a checkpoint and returns ErrStopped.
func Run(ctx stdctx.Context, cfg Config, net *arch.Network, ds *data.Dataset, outDir string) (res *Result, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := net.Validate(); err != nil {
		return nil, fmt.Errorf("arch %q: %w", net.Name, err)
	}
	if ds.H != net.Input.H || ds.W != net.Input.W || ds.C != net.Input.C || len(ds.Classes) != net.Classes {
		return nil, fmt.Errorf("arch %q wants %s images in %d classes, data %s has %d×%d×%d in %d classes",
			net.Name, net.Input, net.Classes, ds.Spec, ds.H, ds.W, ds.C, len(ds.Classes))
	}
	if ds.Train == nil || ds.Test == nil {
		return nil, fmt.Errorf("data %s: a training and a test split are required", ds.Spec)
	}
	if cfg.Data == "" {
		cfg.Data = ds.Spec.String()
	}
	if cfg.Threads > 0 {
		engine.SetThreads(cfg.Threads)
	}
	lock, err := runlock.Acquire(outDir)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	done, err := prepareDir(cfg, net, outDir)
	if err != nil || done != nil {
		return done, err
	}
	spe := ds.Train.Len() / cfg.Batch
	if spe == 0 {
		return nil, fmt.Errorf("data %s: the training split has %d images, fewer than one batch of %d", ds.Spec, ds.Train.Len(), cfg.Batch)
	}
	total := spe * cfg.Epochs
	backend, err := engine.NewBackend()
	if err != nil {
		return nil, err
	}
	err = catch(func() error {
		res, err = runSession(ctx, backend, cfg, net, ds, outDir, spe, total)
		return err
	})
	return res, err
}

// catch runs fn and turns a panic (GoMLX reports graph-building and execution failures by panicking)
// into an error, so bad input never crashes the caller.
func catch(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	return fn()
}

// runSession does the training of one invocation; graph-building panics become errors in Run.
func runSession(ctx stdctx.Context, backend backends.Backend, cfg Config, net *arch.Network, ds *data.Dataset,
	outDir string, spe, total int) (*Result, error) {
	mctx, ckpt, err := openContext(cfg, filepath.Join(outDir, CheckpointsDir), false)
	if err != nil {
		return nil, err
	}
	start := int(optimizers.GetGlobalStep(mctx))
	if err := truncateMetrics(filepath.Join(outDir, MetricsFile), start); err != nil {
		return nil, err
	}
	mf, err := os.OpenFile(filepath.Join(outDir, MetricsFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	defer mf.Close()
	metricsOut := bufio.NewWriter(mf)
	defer metricsOut.Flush()

	opts := data.TrainOptions(cfg.Batch, cfg.Seed)
	opts.Augment = cfg.Augment
	loader := ds.Train.Loader(opts)
	if err := seek(loader, ds, start, spe, cfg.Batch); err != nil {
		return nil, err
	}

	trainer := newTrainer(backend, mctx, net, cfg, total,
		[]metrics.Interface{metrics.NewMovingAverageSparseCategoricalAccuracy("Moving Average Accuracy", "~acc", 0.01)})
	loop := gtrain.NewLoop(trainer)

	secVar := trainSeconds(mctx)
	priorSeconds := tensors.ToScalar[float64](secVar.MustValue())
	sessionStart := time.Now()
	stepsDone := 0
	var stepTime time.Duration
	lastLog := time.Now()
	save := func() error {
		secVar.MustSetValue(tensors.FromScalar(priorSeconds + stepTime.Seconds()))
		// The loop's moving-average metrics get fresh (uuid-named) variables every session; saving
		// them would only pile up dead state in the checkpoints.
		for v := range mctx.InAbsPath("/metrics").IterVariablesInScope() {
			ckpt.ExcludeVarsFromSaving(v)
		}
		return ckpt.Save()
	}
	ckptEvery := cmpOr(cfg.CheckpointEvery, spe)
	stopped := false
	var lastLogStep int
	loop.OnStep("uboost", 0, func(loop *gtrain.Loop, m []*tensors.Tensor) error {
		step := loop.LoopStep + 1 // global step after this one
		stepsDone++
		stepTime = time.Since(sessionStart)
		if step%cfg.logEvery() == 0 || step == total || step%spe == 0 {
			now := time.Now()
			line := MetricsLine{
				Step:          step,
				Epoch:         float64(step) / float64(spe),
				LR:            scalar(mctx.GetVariableByScopeAndName(optimizerScope, lrVarName).MustValue()),
				Loss:          scalar(m[0]),
				LossAvg:       scalar(m[2]),
				TrainAccuracy: scalar(m[3]),
				ImagesPerSec:  float64((step-max(lastLogStep, start))*cfg.Batch) / now.Sub(lastLog).Seconds(),
				ElapsedS:      priorSeconds + stepTime.Seconds(),
			}
			lastLog, lastLogStep = now, step
			if step%spe == 0 && ds.Val != nil && ds.Val.Len() > 0 {
				e, err := evaluate(backend, mctx, net, ds.Val, cfg.evalBatch())
				if err != nil {
					return err
				}
				line.ValAccuracy, line.ValLoss = &e.TestAccuracy, &e.TestLoss
			}
			// Flushed per line, so that metrics.jsonl can be followed while training.
			if err := writeJSONLine(metricsOut, line); err != nil {
				return err
			}
			if err := metricsOut.Flush(); err != nil {
				return err
			}
		}
		if step%ckptEvery == 0 || step == total {
			if err := save(); err != nil {
				return err
			}
		}
		if ctx.Err() != nil {
			stopped = true
			if step%ckptEvery != 0 {
				if err := save(); err != nil {
					return err
				}
			}
			return fmt.Errorf("%w at step %d: %w", ErrStopped, step, ctx.Err())
		}
		if cfg.StopAfter > 0 && stepsDone >= cfg.StopAfter && step < total {
			stopped = true
			return fmt.Errorf("%w at step %d (StopAfter %d)", ErrStopped, step, cfg.StopAfter)
		}
		return nil
	})
	if cfg.OnLoop != nil {
		cfg.OnLoop(loop)
	}
	if _, err := loop.RunToGlobalStep(loader, total); err != nil {
		if stopped {
			return nil, fmt.Errorf("run %s: %w", outDir, unwrapStopped(err))
		}
		return nil, fmt.Errorf("run %s: %w", outDir, err)
	}
	if err := metricsOut.Flush(); err != nil {
		return nil, err
	}
	res, err := evaluate(backend, mctx, net, ds.Test, cfg.evalBatch())
	if err != nil {
		return nil, err
	}
	fillResult(res, cfg, net, mctx)
	if stepsDone > 0 {
		res.ImagesPerSecond = float64(stepsDone*cfg.Batch) / stepTime.Seconds()
	}
	res.TrainSeconds = priorSeconds + stepTime.Seconds()
	res.Backend = backend.Name()
	if err := jsonfile.Write(filepath.Join(outDir, ResultFile), res); err != nil {
		return nil, err
	}
	return res, nil
}

// unwrapStopped digs ErrStopped's own error out of the loop's wrapping, so the message stays one line.
func unwrapStopped(err error) error {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if strings.HasPrefix(e.Error(), ErrStopped.Error()) {
			return e
		}
	}
	return err
}

// fillResult sets the result fields that describe the run rather than the evaluation.
func fillResult(res *Result, cfg Config, net *arch.Network, mctx *context.Context) {
	params, _ := net.Params()
	res.Params = params
	res.Arch = net.Name
	res.Data = cfg.Data
	res.Steps = int(optimizers.GetGlobalStep(mctx))
	res.Epochs = cfg.Epochs
	res.Batch = cfg.Batch
	res.TrainSeconds = scalar(trainSeconds(mctx).MustValue())
}

// trainSeconds is the variable (saved in checkpoints) accumulating a run's training wall time.
func trainSeconds(mctx *context.Context) *context.Variable {
	return mctx.InAbsPath(optimizerScope).Checked(false).VariableWithValue(trainSecondsVar, 0.0).SetTrainable(false)
}

// scalar reads a scalar tensor of any numeric dtype.
func scalar(t *tensors.Tensor) float64 { return shapes.ConvertTo[float64](t.Value()) }

// seek positions a fresh training loader at global step `step`: the batch stream is a pure function
// of (seed, epoch, position), so starting epoch step/spe and skipping step%spe batches reproduces it.
func seek(l *data.Loader, ds *data.Dataset, step, spe, batch int) error {
	for range step / spe {
		l.Reset()
	}
	images := make([]float32, batch*ds.H*ds.W*ds.C)
	labels := make([]int32, batch)
	for range step % spe {
		if _, err := l.NextInto(images, labels); err != nil {
			return err
		}
	}
	return nil
}

// openContext creates the model context, seeded from cfg, and attaches the checkpoint handler of dir,
// which loads the latest good checkpoint (lazily, as variables are created). must requires one.
func openContext(cfg Config, dir string, must bool) (*context.Context, *checkpoints.Handler, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	if err := dropBrokenCheckpoints(dir); err != nil {
		return nil, nil, err
	}
	var mctx *context.Context
	h, warning, err := checkpoint.Open(dir, func() (*checkpoints.Handler, error) {
		mctx = context.New()
		// GoMLX treats seed 0 as "random"; every uboost seed, 0 included, must be reproducible.
		mctx.SetParam(context.ParamInitialSeed, int64(cfg.Seed)+0x5eed)
		build := checkpoints.Build
		if must {
			build = checkpoints.Load
		}
		return build(mctx).Dir(dir).Keep(2).Done()
	})
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoints %s: %w", dir, err)
	}
	if warning != "" && cfg.Warn != nil {
		cfg.Warn(warning)
	}
	return mctx, h, nil
}

// dropBrokenCheckpoints removes, newest first, checkpoints whose metadata is not complete JSON or whose
// data file is missing: what a kill during Save leaves. Older complete checkpoints stay.
func dropBrokenCheckpoints(dir string) error {
	for {
		jsons, err := filepath.Glob(filepath.Join(dir, "checkpoint-*"+checkpoints.JsonNameSuffix))
		if err != nil || len(jsons) == 0 {
			return err
		}
		last := jsons[len(jsons)-1] // Glob sorts; GoMLX names sort by save order.
		base := strings.TrimSuffix(last, checkpoints.JsonNameSuffix)
		blob, err := os.ReadFile(last)
		if err != nil {
			return err
		}
		_, binErr := os.Stat(base + checkpoints.BinDataSuffix)
		if json.Valid(blob) && binErr == nil {
			return nil
		}
		if err := os.Remove(last); err != nil {
			return err
		}
		if binErr == nil {
			if err := os.Remove(base + checkpoints.BinDataSuffix); err != nil {
				return err
			}
		}
	}
}

// prepareDir creates the run directory or checks that the one found matches (resume). It returns the
// saved result when the run had already finished.
func prepareDir(cfg Config, net *arch.Network, dir string) (*Result, error) {
	cfgPath := filepath.Join(dir, ConfigFile)
	if _, err := os.Stat(cfgPath); err == nil {
		if !cfg.Resume {
			return nil, fmt.Errorf("%s already holds a run; resume it or choose another output directory", dir)
		}
		_, savedNet, err := LoadRun(dir)
		if err != nil {
			return nil, err
		}
		if err := runconfig.Check(cfgPath, cfg, ResumableFields...); err != nil {
			return nil, err
		}
		a, _ := json.Marshal(savedNet)
		b, _ := json.Marshal(net)
		if !bytes.Equal(a, b) {
			return nil, fmt.Errorf("%s: the run trains a different network (%q) than the one given (%q)", filepath.Join(dir, ArchFile), savedNet.Name, net.Name)
		}
		var res Result
		if err := jsonfile.Read(filepath.Join(dir, ResultFile), &res); err == nil {
			return &res, nil
		}
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := net.Save(filepath.Join(dir, ArchFile)); err != nil {
		return nil, err
	}
	// config.json last: its presence marks a run directory.
	return nil, jsonfile.Write(cfgPath, cfg)
}

// LoadRun reads a run directory's recipe and network.
func LoadRun(dir string) (Config, *arch.Network, error) {
	var cfg Config
	if err := jsonfile.Read(filepath.Join(dir, ConfigFile), &cfg); err != nil {
		return cfg, nil, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, nil, fmt.Errorf("%s: %w", filepath.Join(dir, ConfigFile), err)
	}
	net, err := arch.Load(filepath.Join(dir, ArchFile))
	return cfg, net, err
}

// truncateMetrics drops the metrics.jsonl lines of steps after `step` (logged after the checkpoint a
// resumed run restarts from), so the file reads as one uninterrupted run. A torn last line goes too.
func truncateMetrics(path string, step int) error {
	blob, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var keep []byte
	for line := range bytes.Lines(blob) {
		var m MetricsLine
		if !bytes.HasSuffix(line, []byte("\n")) || json.Unmarshal(line, &m) != nil || m.Step > step {
			break
		}
		keep = append(keep, line...)
	}
	if len(keep) == len(blob) {
		return nil
	}
	return atomicfile.WriteBytes(path, keep)
}

func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
