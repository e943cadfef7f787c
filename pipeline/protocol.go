package pipeline

import (
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/protocol"
	"github.com/uboost/uboost/search"
	"github.com/uboost/uboost/train"
)

// ApplyProtocol sets on c the values protocol p picks for the search's loss, the final-training recipe
// and the simulator schedule that measures the result (docs/PROTOCOL.md). Call it on a preset's
// configuration, before explicitly given settings, which win. UBoost leaves the preset's values; Paper
// sets:
//   - search: the paper's smooth ceiling on every layer at expected widths (search.WidthReference), the
//     reference aggregation, Gumbel noise shared by all cells;
//   - training: Nesterov SGD at 0.1, momentum 0.9, weight decay 5e-4 on all parameters, one-cycle with
//     10% warm-up, gradient clipping at 0.5, augmentation on, 10% of the training split for validation;
//   - measurement: the simulator schedule closest to the reference's (cost.ReferenceSchedule).
//
// The cost model of a method is experiment's choice (experiment.CostModel), not the protocol's here.
func ApplyProtocol(p protocol.Protocol, c *Config) {
	c.Search.Protocol = string(p)
	if p != protocol.Paper {
		return
	}
	s := c.Search
	s.Ceil, s.WidthCost, s.Aggregation, s.SharedGumbel = cost.PaperCeil, search.WidthReference, search.AggReference, true
	t := &c.Train
	t.LR, t.Momentum, t.Nesterov, t.WeightDecay, t.WeightDecayAll = 0.1, 0.9, true, 5e-4, true
	t.Schedule, t.Warmup, t.ClipNorm, t.Augment, t.ValFraction = train.OneCycle, 0.1, 0.5, true, 0.1
	c.Sim = cost.ReferenceSchedule
}
