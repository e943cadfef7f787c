package train

import (
	"fmt"
	"math"

	gtrain "github.com/gomlx/gomlx/pkg/ml/train"
)

// Learning-rate schedules (Config.Schedule).
const (
	// OneCycle ramps the rate linearly from LR/25 up to LR over the first Warmup fraction of the steps,
	// then decays it to 0 along a half cosine (Smith's one-cycle policy, with a cosine tail).
	OneCycle = "onecycle"
	// Cosine decays the rate from LR to 0 along a half cosine over all steps (Warmup is ignored).
	Cosine = "cosine"
)

// Config is a training recipe. It is written to the run's config.json; a resumed run must be given
// the same recipe. The zero value is not usable; start from DefaultConfig.
type Config struct {
	// Data is the --data spec the data set was opened from (informational; Evaluate reopens it).
	Data string `json:"data"`
	// ValFraction is the fraction of the training split held out for validation when the data set is
	// opened from Data (by Evaluate and the CLI).
	ValFraction float64 `json:"val_fraction"`
	// Epochs is the number of passes over the training split.
	Epochs int `json:"epochs"`
	// Batch is the number of images per step; an epoch's last incomplete batch is dropped.
	Batch int `json:"batch"`
	// LR is the peak learning rate of the schedule.
	LR float64 `json:"lr"`
	// Schedule is OneCycle or Cosine.
	Schedule string `json:"schedule"`
	// Warmup is the fraction of steps OneCycle spends ramping up.
	Warmup float64 `json:"warmup"`
	// Momentum is the SGD momentum coefficient μ; Nesterov selects Nesterov's look-ahead form.
	Momentum float64 `json:"momentum"`
	Nesterov bool    `json:"nesterov"`
	// WeightDecay is the L2 coefficient added to the gradient of conv and dense weights (not biases or
	// batch norm's scale and offset).
	WeightDecay float64 `json:"weight_decay"`
	// WeightDecayAll applies WeightDecay to every trainable parameter, biases and batch norm included, as
	// the reference's PyTorch SGD does.
	WeightDecayAll bool `json:"weight_decay_all,omitempty"`
	// ClipNorm rescales the gradients when their global L2 norm exceeds it; 0 disables clipping.
	ClipNorm float64 `json:"clip_norm"`
	// Augment applies the data set's training augmentation (random crop and flip).
	Augment bool `json:"augment"`
	// Seed drives weight initialization, batch order and augmentation.
	Seed uint64 `json:"seed"`
	// CheckpointEvery is the number of steps between checkpoints; 0 means once per epoch. A crash loses
	// at most this many steps; Ctrl-C (context cancellation) loses none.
	CheckpointEvery int `json:"checkpoint_every"`
	// LogEvery is the number of steps between metrics.jsonl lines; 0 means 50.
	LogEvery int `json:"log_every"`
	// EvalBatch is the batch size of evaluation; 0 means 500.
	EvalBatch int `json:"eval_batch"`

	// Threads caps the CPU threads of the engine backend (0: leave as is). Not part of the recipe.
	Threads int `json:"-"`
	// Resume continues the run found in the output directory instead of refusing to overwrite it.
	Resume bool `json:"-"`
	// StopAfter ends Run after this many steps of this invocation with ErrStopped, as a crash would
	// (after the checkpoint that falls on that step, if any); 0 runs to the end. For tests and demos of
	// resuming.
	StopAfter int `json:"-"`
	// OnLoop, when set, is called with GoMLX's training loop before training starts, so that a command
	// can attach a progress bar (ui/commandline.AttachProgressBar) or other hooks. Libraries never print.
	OnLoop func(loop *gtrain.Loop) `json:"-"`
	// Warn, when set, receives one-line warnings (a broken checkpoint set aside on resume).
	Warn func(string) `json:"-"`
}

// ResumableFields are the recipe's JSON fields a resumed run may change: they say how often the run
// logs, checkpoints and evaluates, not what it computes. Every other field (the data included) must
// equal the stored config.json's.
var ResumableFields = []string{"log_every", "checkpoint_every", "eval_batch"}

// DefaultConfig returns the recipe used for the final training of searched networks: 15 epochs of
// batches of 128, Nesterov SGD (μ 0.9, peak rate 0.1, weight decay 5e-4, clipping at norm 5) on a
// one-cycle schedule with 20% warm-up, with augmentation, on the built-in data set.
func DefaultConfig() Config {
	return Config{
		Data:        "builtin",
		Epochs:      15,
		Batch:       128,
		LR:          0.1,
		Schedule:    OneCycle,
		Warmup:      0.2,
		Momentum:    0.9,
		Nesterov:    true,
		WeightDecay: 5e-4,
		ClipNorm:    5,
		Augment:     true,
		Seed:        1,
	}
}

// Validate checks the recipe's ranges, naming the offending field.
func (c *Config) Validate() error {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("train config: field %q: want %s, got %v", field, want, v)
	}
	switch {
	case c.Epochs <= 0:
		return bad("epochs", c.Epochs, "a positive integer")
	case c.Batch <= 0:
		return bad("batch", c.Batch, "a positive integer")
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return bad("lr", c.LR, "a positive number")
	case c.Schedule != OneCycle && c.Schedule != Cosine:
		return bad("schedule", c.Schedule, fmt.Sprintf("%q or %q", OneCycle, Cosine))
	case !(c.Warmup >= 0 && c.Warmup < 1):
		return bad("warmup", c.Warmup, "a fraction in [0, 1)")
	case !(c.Momentum >= 0 && c.Momentum < 1):
		return bad("momentum", c.Momentum, "a value in [0, 1)")
	case !(c.WeightDecay >= 0):
		return bad("weight_decay", c.WeightDecay, "a non-negative number")
	case !(c.ClipNorm >= 0):
		return bad("clip_norm", c.ClipNorm, "a non-negative number")
	case !(c.ValFraction >= 0 && c.ValFraction < 1):
		return bad("val_fraction", c.ValFraction, "a fraction in [0, 1)")
	case c.CheckpointEvery < 0:
		return bad("checkpoint_every", c.CheckpointEvery, "a non-negative integer")
	case c.LogEvery < 0:
		return bad("log_every", c.LogEvery, "a non-negative integer")
	case c.EvalBatch < 0:
		return bad("eval_batch", c.EvalBatch, "a non-negative integer")
	}
	return nil
}

func (c *Config) logEvery() int  { return cmpOr(c.LogEvery, 50) }
func (c *Config) evalBatch() int { return cmpOr(c.EvalBatch, 500) }

func cmpOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// warmupFraction is the ramp-up fraction the schedule uses: Warmup for OneCycle, none for Cosine.
func (c *Config) warmupFraction() float64 {
	if c.Schedule == OneCycle {
		return c.Warmup
	}
	return 0
}
