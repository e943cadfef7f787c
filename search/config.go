package search

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/cost"
)

// Candidate operations of a searched edge (PAPER.md §2.2, Table 2). Every convolution is followed by
// batch norm and ReLU; a separable convolution is a depthwise k×k (+BN+ReLU) then a 1×1 conv (+BN+ReLU).
const (
	OpConv3x3  = "conv3x3"
	OpConv5x5  = "conv5x5"
	OpSep3x3   = "sep3x3"
	OpSep5x5   = "sep5x5"
	OpDil3x3   = "dil3x3" // 3×3, dilation 2
	OpDil5x5   = "dil5x5" // 5×5, dilation 2
	OpIdentity = "identity"
	OpZero     = "zero"
)

// AllOps are the eight candidates of the paper, in its order.
var AllOps = []string{OpConv3x3, OpConv5x5, OpSep3x3, OpSep5x5, OpDil3x3, OpDil5x5, OpIdentity, OpZero}

// CostNone, as Config.Cost, leaves the hardware out of the loss (cross-entropy only). Every other value
// names a model of package cost's registry (cost.Names).
const CostNone = "none"

// Aggregation says how per-layer costs become the network's latency and utilization terms.
type Aggregation string

const (
	// AggMACWeighted: latency is the sum of every GEMM layer's expected cycles, stem and classifier
	// included; utilization is Σ MACs / (Σ cycles · R·C) (DESIGN.md). Zero and identity edges cost 0,
	// so λ can buy latency by zeroing edges: on the demo at 32×32 it collapsed the network to the stem
	// and one convolution (docs/PROTOCOL.md), which is why it is no longer the default.
	AggMACWeighted Aggregation = "mac-weighted"
	// AggReference is the reference code's (PAPER.md §1.5): per edge the Gumbel-weighted mean over the
	// non-free ops (identity and zero left out of numerator and denominator), a separable block's
	// utilization the plain mean of its two layers', per cell the unweighted mean over blocks, the sum
	// over cells; stem and classifier excluded. The default of both protocols (docs/PROTOCOL.md).
	AggReference Aggregation = "reference"
)

// UtilizationText writes the loss's utilization term u in its aggregation's unit: under reference a sum
// of per-cell mean utilizations (0 … cells), which a percentage would show as up to 300%; under
// mac-weighted a fraction of the array's peak.
func (a Aggregation) UtilizationText(u float64, cells int) string {
	if a == AggReference {
		return fmt.Sprintf("util Σcells %.2f/%d", u, cells)
	}
	return fmt.Sprintf("util %5.2f%%", 100*u)
}

// WidthCost says how a channel-searched layer is priced.
type WidthCost string

const (
	// WidthExpectedCost (default) prices a layer at the expectation of its cost over the joint
	// distribution of its input and output widths (FBNetV2's choice): Σ p_i q_j cost(c_i, f_j).
	WidthExpectedCost WidthCost = "expected-cost"
	// WidthExpectedWidth prices it at the expected widths Σ p_i c_i, Σ q_j f_j, through the smooth
	// ceiling; layers of fixed width keep the exact ceiling.
	WidthExpectedWidth WidthCost = "expected-width"
	// WidthReference is the reference code's pricing: every GEMM layer, fixed widths included, priced by
	// the formula through the smooth ceiling at its expected widths (a 3×3 depthwise on a 128-row array
	// costs 0.2 tile under the paper's ceiling). A table model is read at the snapped expected width.
	WidthReference WidthCost = "reference"
)

// ChannelOptions returns start, start+step, … ≤ stop: the widths DMasking chooses from
// (PAPER.md §2.4: 64..280 step 8, 28 options).
func ChannelOptions(start, stop, step int) ([]int, error) {
	if start <= 0 || step <= 0 || stop < start {
		return nil, fmt.Errorf("channel range %d:%d:%d: want 0 < start ≤ stop and step > 0", start, stop, step)
	}
	var out []int
	for c := start; c <= stop; c += step {
		out = append(out, c)
	}
	return out, nil
}

// Config is everything a search needs: the supernet, the cost term and the optimization schedule.
// Start from a preset and change what differs, with the chained setters or the fields:
//
//	cfg, _ := search.Preset("cifar10")
//	cfg.WithCost("systolic", 0.5, 1).WithAccelerator(accel.New(128, 128).WithBatch(64)).WithSeed(1)
//
// Validate checks it (RunMicro and RunChannel do).
type Config struct {
	// Preset names the preset the config started from (informational).
	Preset string `json:"preset"`
	// Protocol names the protocol whose values the settings started from (informational; package
	// protocol).
	Protocol string `json:"protocol,omitempty"`

	// Supernet. Cells is k; Pool[i] puts a 2×2, stride-2 max-pool after cell i; the stem is a 3×3
	// conv to StemChannels (+BN+ReLU), followed by a 2×2 max-pool when StemPool.
	Cells        int    `json:"cells"`
	Pool         []bool `json:"pool"`
	StemChannels int    `json:"stem_channels"`
	StemPool     bool   `json:"stem_pool"`
	// Width is the micro stage's width of every searched convolution (channels are not searched there).
	Width int `json:"width"`
	// Channels are the channel stage's width options for every searched convolution, ascending.
	Channels []int `json:"channels"`
	// Ops are the candidate operations of every edge (a subset of AllOps, in any order).
	Ops []string `json:"ops"`
	// SharedAlphas shares one set of op logits among all cells in the micro stage (the reference code);
	// false gives each cell its own.
	SharedAlphas bool `json:"shared_alphas"`
	// AlphaInitStd is the standard deviation of the op logits' Gaussian initialization: 1 in the
	// reference (torch.randn), whose ~1500 architecture steps per stage wash the draw out. A search with
	// a few dozen steps keeps it small (DARTS' 1e-3), or the seed's draw, not the loss, picks the ops.
	AlphaInitStd float64 `json:"alpha_init_std"`
	// ExcludeZero derives every edge's op as the argmax over its non-zero ops (DARTS); false keeps
	// zero a candidate of the argmax (the reference), so the search can cut edges from the network.
	// Zero stays a candidate of the supernet either way.
	ExcludeZero bool `json:"exclude_zero,omitempty"`

	// Cost term of the loss: CE + Lambda·latency_ms − Beta·utilization, priced by the cost registry's
	// model Cost (or CostNone); Objective puts energy or the energy–delay product in latency's place.
	Cost        string             `json:"cost"`
	Objective   Objective          `json:"objective"`
	Ceil        cost.Ceiling       `json:"ceil"`
	Lambda      float64            `json:"lambda"`
	Beta        float64            `json:"beta"`
	Aggregation Aggregation        `json:"aggregation"`
	WidthCost   WidthCost          `json:"width_cost"`
	Accel       *accel.Accelerator `json:"accelerator"`
	// ArraySearch, when its Arrays are set, makes the array part of the search (codesign.go). Its
	// fields are Config's own in JSON (an embedded struct), so config.json keeps its keys.
	ArraySearch

	// Schedule (PAPER.md §2.5, §2.7 paper column).
	EpochsMicro   int `json:"epochs_micro"`
	EpochsChannel int `json:"epochs_channel"`
	BatchSize     int `json:"batch_size"`
	// StepsPerEpoch caps the batches of an epoch (0: the whole training split), for quick runs.
	StepsPerEpoch int `json:"steps_per_epoch"`
	// WeightFraction of each epoch's batches update the weights; the rest update the architecture.
	WeightFraction float64 `json:"weight_fraction"`
	WeightLR       float64 `json:"weight_lr"`
	Momentum       float64 `json:"momentum"`
	WeightDecay    float64 `json:"weight_decay"`
	// WarmupEpochs are the first epochs of each stage in which every batch updates the weights and
	// none the architecture (PC-DARTS warms up 15 of its 50 epochs); 0, the reference's, updates the
	// architecture from the first epoch. They count within EpochsMicro and EpochsChannel.
	WarmupEpochs int `json:"warmup_epochs,omitempty"`
	// GradClip is the global-norm clip of the weight gradients (0: none).
	GradClip float64 `json:"grad_clip"`
	// LRStepEpochs and LRGamma: the weight learning rate is multiplied by LRGamma every LRStepEpochs.
	LRStepEpochs int     `json:"lr_step_epochs"`
	LRGamma      float64 `json:"lr_gamma"`
	ArchLR       float64 `json:"arch_lr"`
	// SharedGumbel draws the micro stage's Gumbel noise once per forward pass and adds it to every cell's
	// op logits (the reference code); false draws it per cell.
	SharedGumbel bool `json:"shared_gumbel"`
	// Tau is the Gumbel-softmax temperature of the first epoch of each stage, multiplied by TauDecay
	// after every epoch while it stays above TauMin.
	Tau      float64 `json:"tau"`
	TauDecay float64 `json:"tau_decay"`
	TauMin   float64 `json:"tau_min"`
	// Augment applies the data set's training augmentation.
	Augment bool  `json:"augment"`
	Seed    int64 `json:"seed"`
}

// Presets lists the preset names.
var Presets = []string{"demo", "edge", "cifar10", "imagenet100"}

// Preset returns a named configuration:
//   - "demo": the built-in 28×28 data on 2 cores, for a 32×32 array — stem 32, 2 cells each pooled,
//     width 32, channels 16..64 step 8, batch 32, 3+3 epochs of 96 batches (≈ 58 architecture steps
//     per stage), op logits initialized near uniform (std 1e-3); search and training take minutes;
//   - "edge": the miniature of the paper's CIFAR-10 experiment (docs/MINIATURE.md) — the paper's
//     setting scaled by four onto a 32×32 array: stem and micro width 32 (one tile), 3 cells each
//     pooled, channels 16..70 step 2 (28 options spanning 0.5–2.19 tiles in steps of 1/16 tile, as
//     64..280 step 8 on 128 columns), batch 32, 10+10 epochs of 50 batches (100 architecture steps
//     per stage), op logits near uniform (std 1e-3);
//   - "cifar10": the paper's CIFAR-10 setup (§2.7 paper column) — stem 128, 3 cells each pooled,
//     width 128, channels 64..280 step 8, batch 64, 10+30 epochs, SGD lr 0.05 momentum 0.9;
//   - "imagenet100": the paper's 9-cell layout (pool after cells 1, 4, 7), otherwise as cifar10.
//
// cifar10 and imagenet100 use the paper's platform (128×128, 1 GHz), demo and edge a 32×32 array at
// 1 GHz; all price the loss at hardware batch 64 (the reference code's hw_batch_size), --cost systolic
// with the tight ceiling and the reference aggregation, λ = β = 1.
func Preset(name string) (*Config, error) {
	chans, _ := ChannelOptions(64, 280, 8)
	c := &Config{
		Preset: name, Cells: 3, Pool: []bool{true, true, true}, StemChannels: 128, StemPool: true,
		Width: 128, Channels: chans, Ops: slices.Clone(AllOps), SharedAlphas: true, AlphaInitStd: 1,
		Cost: "systolic", Objective: ObjectiveLatency, Ceil: cost.TightCeil, Lambda: 1, Beta: 1,
		Aggregation: AggReference, WidthCost: WidthExpectedCost,
		Accel:       accel.Default().WithBatch(64),
		EpochsMicro: 10, EpochsChannel: 30, BatchSize: 64,
		WeightFraction: 0.8, WeightLR: 0.05, Momentum: 0.9, WeightDecay: 3e-4, GradClip: 0.5,
		LRStepEpochs: 30, LRGamma: 0.5, ArchLR: 0.1,
		Tau: 1, TauDecay: 0.95, TauMin: 0.001, Augment: true,
	}
	switch name {
	case "cifar10":
	case "imagenet100":
		c.Cells = 9
		c.Pool = []bool{true, false, false, true, false, false, true, false, false}
	case "demo":
		// An array the built-in data's networks can fill: one tile of 32 columns, widths half a tile to
		// two tiles (the edge preset's range at a coarser step, so the demo stays minutes on 2 cores).
		c.Accel = accel.New(32, 32).WithBatch(64)
		c.Cells, c.Pool, c.StemChannels, c.Width = 2, []bool{true, true}, 32, 32
		c.Channels, _ = ChannelOptions(16, 64, 8)
		// 96 batches: with 24 (≈ 15 architecture steps per stage) every cost model ended at nearly the
		// same network; with 96 FLOPs already picks separable convolutions that U-Boost avoids.
		c.EpochsMicro, c.EpochsChannel, c.BatchSize, c.StepsPerEpoch = 3, 3, 32, 96
		c.AlphaInitStd = 1e-3 // a few dozen architecture steps per stage: see AlphaInitStd
	case "edge":
		c.Accel = accel.New(32, 32).WithBatch(64)
		c.StemChannels, c.Width = 32, 32
		c.Channels, _ = ChannelOptions(16, 70, 2)
		// 50 batches of which 20% train the architecture: 10 Adam steps an epoch, 100 a stage. Adam moves
		// a logit by up to ≈ ArchLR a step, so 100 steps can take an op from uniform to p > 0.99 where
		// the loss prefers it consistently (docs/MINIATURE.md).
		c.EpochsMicro, c.EpochsChannel, c.BatchSize, c.StepsPerEpoch = 10, 10, 32, 50
		c.AlphaInitStd = 1e-3
	default:
		return nil, fmt.Errorf("unknown preset %q (want %s)", name, strings.Join(Presets, ", "))
	}
	return c, nil
}

// WithCost sets the hardware term of the loss: CE + λ·latency_ms − β·utilization priced by model.
func (c *Config) WithCost(model string, lambda, beta float64) *Config {
	c.Cost, c.Lambda, c.Beta = model, lambda, beta
	return c
}

// WithAccelerator sets the accelerator the loss prices layers on (array, clock, hardware batch).
func (c *Config) WithAccelerator(a *accel.Accelerator) *Config { c.Accel = a; return c }

// WithEpochs sets the epochs of the micro and channel stages.
func (c *Config) WithEpochs(micro, channel int) *Config {
	c.EpochsMicro, c.EpochsChannel = micro, channel
	return c
}

// WithChannelRange sets the channel stage's width options to start..stop step step; an impossible range
// leaves none, which Validate reports.
func (c *Config) WithChannelRange(start, stop, step int) *Config {
	c.Channels, _ = ChannelOptions(start, stop, step)
	return c
}

// WithSeed sets the seed of initialization, Gumbel noise and batch order.
func (c *Config) WithSeed(seed int64) *Config { c.Seed = seed; return c }

// Validate reports the first impossible setting, naming its field.
func (c *Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("search config: field %q: %s", field, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Cells <= 0:
		return bad("cells", "want a positive integer, got %d", c.Cells)
	case len(c.Pool) != c.Cells:
		return bad("pool", "want one entry per cell (%d), got %d", c.Cells, len(c.Pool))
	case c.StemChannels <= 0:
		return bad("stem_channels", "want a positive integer, got %d", c.StemChannels)
	case c.Width <= 0:
		return bad("width", "want a positive integer, got %d", c.Width)
	case len(c.Channels) == 0:
		return bad("channels", "want at least one width option")
	case len(c.Ops) == 0:
		return bad("ops", "want at least one candidate op")
	case c.Accel == nil:
		return bad("accelerator", "missing")
	case c.EpochsMicro < 0 || c.EpochsChannel < 0:
		return bad("epochs", "want non-negative epoch counts, got %d and %d", c.EpochsMicro, c.EpochsChannel)
	case c.BatchSize <= 0:
		return bad("batch_size", "want a positive integer, got %d", c.BatchSize)
	case c.StepsPerEpoch < 0:
		return bad("steps_per_epoch", "want a non-negative integer, got %d", c.StepsPerEpoch)
	case c.WarmupEpochs < 0 || (c.EpochsMicro > 0 && c.WarmupEpochs >= c.EpochsMicro) || (c.EpochsChannel > 0 && c.WarmupEpochs >= c.EpochsChannel):
		return bad("warmup_epochs", "want 0 ≤ warm-up epochs < each stage's epochs (%d, %d), got %d", c.EpochsMicro, c.EpochsChannel, c.WarmupEpochs)
	case !(c.WeightFraction > 0 && c.WeightFraction < 1):
		return bad("weight_fraction", "want a fraction in (0, 1), got %g", c.WeightFraction)
	case !(c.WeightLR > 0) || !(c.ArchLR > 0):
		return bad("weight_lr", "want positive learning rates, got %g and %g (arch)", c.WeightLR, c.ArchLR)
	case c.Momentum < 0 || c.Momentum >= 1 || c.WeightDecay < 0 || c.GradClip < 0:
		return bad("momentum", "want momentum in [0, 1) and non-negative weight decay and clip")
	case c.LRStepEpochs <= 0 || !(c.LRGamma > 0):
		return bad("lr_step_epochs", "want a positive step and gamma, got %d and %g", c.LRStepEpochs, c.LRGamma)
	case !(c.Tau > 0) || !(c.TauDecay > 0 && c.TauDecay <= 1) || c.TauMin < 0:
		return bad("tau", "want τ > 0, decay in (0, 1] and τ_min ≥ 0")
	case !(c.AlphaInitStd >= 0) || math.IsInf(c.AlphaInitStd, 1):
		return bad("alpha_init_std", "want a finite, non-negative standard deviation, got %g", c.AlphaInitStd)
	case !(c.Lambda >= 0) || !(c.Beta >= 0) || math.IsInf(c.Lambda, 1) || math.IsInf(c.Beta, 1):
		return bad("lambda", "want finite, non-negative λ and β, got %g and %g", c.Lambda, c.Beta)
	}
	for i, w := range c.Channels {
		if w <= 0 || (i > 0 && w <= c.Channels[i-1]) {
			return bad("channels", "want positive, strictly ascending widths, got %v", c.Channels)
		}
	}
	seen := map[string]bool{}
	for _, op := range c.Ops {
		if !slices.Contains(AllOps, op) {
			return bad("ops", "unknown op %q (want %s)", op, strings.Join(AllOps, ", "))
		}
		if seen[op] {
			return bad("ops", "op %q listed twice", op)
		}
		seen[op] = true
	}
	if len(c.Ops) == 1 && c.Ops[0] == OpZero {
		return bad("ops", "zero alone leaves every cell empty")
	}
	if c.Cost != CostNone {
		if _, err := cost.Lookup(c.Cost); err != nil {
			return bad("cost", "%v, or %s", err, CostNone)
		}
	}
	if _, err := cost.ParseCeiling(string(c.Ceil)); err != nil {
		return bad("ceil", "%v", err)
	}
	if err := c.validateArraySearch(bad); err != nil {
		return err
	}
	if _, err := ParseObjective(string(c.Objective)); err != nil {
		return bad("objective", "%v", err)
	}
	switch c.Aggregation {
	case AggMACWeighted, AggReference:
	default:
		return bad("aggregation", "unknown aggregation %q (want %s or %s)", c.Aggregation, AggMACWeighted, AggReference)
	}
	switch c.WidthCost {
	case WidthExpectedCost, WidthExpectedWidth, WidthReference:
	default:
		return bad("width_cost", "unknown width cost %q (want %s, %s or %s)", c.WidthCost, WidthExpectedCost, WidthExpectedWidth, WidthReference)
	}
	if err := c.Accel.Validate(); err != nil {
		return fmt.Errorf("search config: accelerator: %w", err)
	}
	return nil
}

// tauAt is the temperature of a stage's epoch e (0 first): τ0·decay^e, no longer decayed once at or
// below TauMin (the reference multiplies while τ > τ_min).
func (c *Config) tauAt(epoch int) float64 {
	tau := c.Tau
	for range epoch {
		if tau <= c.TauMin {
			break
		}
		tau *= c.TauDecay
	}
	return tau
}

// lrAt is the weight learning rate of a stage's epoch e: StepLR(LRStepEpochs, LRGamma).
func (c *Config) lrAt(epoch int) float64 {
	return c.WeightLR * math.Pow(c.LRGamma, float64(epoch/c.LRStepEpochs))
}

// errNonFinite marks a loss that became NaN or infinite.
var errNonFinite = errors.New("loss is not finite")
