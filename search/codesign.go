package search

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/uboost/uboost/accel"
)

// ArrayShape is one candidate of a co-design search: an R×C array, or several sharing the memory.
type ArrayShape = accel.ArrayShape

// ParseArrays reads a comma-separated list of candidates ("128x128,256x64,4x64x64").
func ParseArrays(list string) ([]ArrayShape, error) {
	var out []ArrayShape
	for _, f := range strings.Split(list, ",") {
		s, err := accel.ParseArrayShape(f)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// MaxAspect bounds the aspect ratio of the shapes PEBudgetArrays enumerates: rows/cols and cols/rows
// at most 16 (TPU-like square arrays to 512×32-style strips; beyond that a strip wastes its long side on
// every layer narrower than it).
const MaxAspect = 16

// MinArraySide is the smallest side PEBudgetArrays enumerates.
const MinArraySide = 8

// PEBudgetArrays enumerates the designs of budget PEs in all: for each count N = 1, 2, 4, … up to
// maxArrays, N arrays sharing the memory, each of the power-of-two shapes R×C = budget/N with R, C ≥
// MinArraySide and an aspect ratio of at most MaxAspect; counts ascending, rows ascending within a
// count. For 16384 and one array: 32×512, 64×256, 128×128, 256×64, 512×32.
func PEBudgetArrays(budget, maxArrays int) ([]ArrayShape, error) {
	if budget <= 0 || bits.OnesCount(uint(budget)) != 1 || budget > accel.MaxArrayDim*accel.MaxArrayDim {
		return nil, fmt.Errorf("want a power of two up to %d PEs, got %d", accel.MaxArrayDim*accel.MaxArrayDim, budget)
	}
	if err := CheckMaxArrays(maxArrays); err != nil {
		return nil, err
	}
	var out []ArrayShape
	for n := 1; n <= maxArrays && budget/n >= MinArraySide*MinArraySide; n *= 2 {
		each := budget / n
		for r := MinArraySide; r <= each/MinArraySide; r *= 2 {
			c := each / r
			if r <= accel.MaxArrayDim && c <= accel.MaxArrayDim && r <= MaxAspect*c && c <= MaxAspect*r {
				s := ArrayShape{Rows: r, Cols: c}
				if n > 1 {
					s.Arrays = n
				}
				out = append(out, s)
			}
		}
	}
	if len(out) < 2 {
		return nil, fmt.Errorf("%d PEs make fewer than two designs with sides ≥ %d and aspect ≤ %d", budget, MinArraySide, MaxAspect)
	}
	return out, nil
}

// CheckMaxArrays checks a PEBudgetArrays count: a power of two up to accel.MaxArrays.
func CheckMaxArrays(n int) error {
	if n < 1 || bits.OnesCount(uint(n)) != 1 || n > accel.MaxArrays {
		return fmt.Errorf("want a power of two up to %d arrays, got %d", accel.MaxArrays, n)
	}
	return nil
}

// Candidates returns the accelerators the search prices every layer on: cfg.Accel alone, or one copy
// of it per candidate array of a co-design search (Config.Arrays), in order.
func (c *Config) Candidates() []*accel.Accelerator {
	if len(c.Arrays) == 0 {
		return []*accel.Accelerator{c.Accel}
	}
	out := make([]*accel.Accelerator, len(c.Arrays))
	for i, s := range c.Arrays {
		a := *c.Accel
		s.Set(&a)
		out[i] = &a
	}
	return out
}

// ArraySearch holds the options that make the array part of the search, embedded in Config (its
// fields are Config's in Go and in JSON). The zero value searches the network for Config.Accel alone.
type ArraySearch struct {
	// Arrays, when set, makes the array part of the search: every layer is priced on
	// each candidate (Accel with the candidate's rows and columns), the hardware term is the
	// expectation over Gumbel-softmax array weights, and the derived accelerator is the argmax.
	Arrays []ArrayShape `json:"arrays,omitempty"`
	// WidthsPerArray gives a co-design's channel stage one width distribution per candidate array, so
	// that each array's expected cost is taken under widths searched for it (codesign.go); false
	// prices every array under the one distribution they share.
	WidthsPerArray bool `json:"widths_per_array,omitempty"`
	// ArrayTurns (with WidthsPerArray) takes the candidate arrays in turn instead of sampling them:
	// each step's forward pass masks the channels with one array's widths (round robin), the loss
	// weighs every array's hardware terms equally, and the array is chosen by each array's estimated
	// loss (codesign.go), so every array's widths get, in expectation, the gradient a search of that
	// array alone gives them.
	ArrayTurns bool `json:"array_turns,omitempty"`
	// ArrayChoice is what ArrayTurns chooses the array by (codesign.go); empty is ArrayChoiceLoss.
	ArrayChoice ArrayChoice `json:"array_choice,omitempty"`
	// TurnLRScale multiplies ArchLR for the width logits of a channel stage under ArrayTurns (the only
	// logits it trains); 0 is 1. Each array's widths get the CE gradient on one step in A: Adam divides
	// by the gradient's RMS, which those spikes raise by up to √A over a search of the array alone, so
	// the widths move up to √A times slower. In the ninth co-design test √A (2) moved the logits
	// further but derived the same widths (docs/CODESIGN.md, ninth test).
	TurnLRScale float64 `json:"turn_lr_scale,omitempty"`
	// ArrayHalving (with ArrayTurns) drops arrays from the channel stage by successive halving: at
	// evenly spaced epochs the half of the arrays still in turn with the highest estimated loss leave
	// it, down to ArrayHalvingTo arrays in the stage's last round (codesign.go, halvingLeft).
	ArrayHalving bool `json:"array_halving,omitempty"`
	// ArrayHalvingTo is how many arrays ArrayHalving leaves in the stage's last round (0 is 1): above
	// one, the last choice among them is made at the stage's end, as without halving.
	ArrayHalvingTo int `json:"array_halving_to,omitempty"`
	// ArrayHalvingFrom is the stage whose epochs ArrayHalving's rounds start in: the channel stage
	// (empty, StageChannel), or the micro stage (StageMicro), the rounds then cut over both stages'
	// epochs and the arrays the micro stage leaves carried into the channel stage through
	// Genotype.ArraysLeft (CODESIGN.md, twelfth test).
	ArrayHalvingFrom Stage `json:"array_halving_from,omitempty"`
}

// validateArraySearch checks the co-design options against each other and the candidates; bad
// formats Validate's error for a field.
func (c *Config) validateArraySearch(bad func(field, format string, args ...any) error) error {
	if err := c.validateArrays(); err != nil {
		return bad("arrays", "%v", err)
	}
	if c.WidthsPerArray && len(c.Arrays) == 0 {
		return bad("widths_per_array", "needs candidate arrays (a co-design search)")
	}
	if c.ArrayTurns && !c.WidthsPerArray {
		return bad("array_turns", "needs widths per array (--widths-per-array)")
	}
	if c.ArrayChoice != "" {
		if _, err := ParseArrayChoice(string(c.ArrayChoice)); err != nil {
			return bad("array_choice", "%v", err)
		}
		if !c.ArrayTurns {
			return bad("array_choice", "chooses among arrays taken in turn (--array-turns)")
		}
	}
	if c.TurnLRScale != 0 {
		if !(c.TurnLRScale > 0 && c.TurnLRScale <= MaxTurnLRScale) {
			return bad("turn_lr_scale", "want a scale in (0, %g], got %g", float64(MaxTurnLRScale), c.TurnLRScale)
		}
		if !c.ArrayTurns {
			return bad("turn_lr_scale", "scales the widths' steps of arrays taken in turn (--array-turns)")
		}
	}
	if c.ArrayHalving && !c.ArrayTurns {
		return bad("array_halving", "drops arrays taken in turn (--array-turns)")
	}
	if c.ArrayHalvingTo != 0 {
		if !c.ArrayHalving {
			return bad("array_halving_to", "is the last round of array halving (--array-halving)")
		}
		if c.ArrayHalvingTo < 1 || c.ArrayHalvingTo >= len(c.Arrays) {
			return bad("array_halving_to", "want 1 ≤ arrays left < the %d candidates, got %d", len(c.Arrays), c.ArrayHalvingTo)
		}
	}
	switch c.ArrayHalvingFrom {
	case "", StageChannel:
	case StageMicro:
		if !c.ArrayHalving {
			return bad("array_halving_from", "is where array halving (--array-halving) starts")
		}
	default:
		return bad("array_halving_from", "want %s or %s, got %q", StageMicro, StageChannel, c.ArrayHalvingFrom)
	}
	return nil
}

// validateArrays reports a candidate list that is not a choice: fewer than two, a repeated or an
// impossible shape.
func (c *Config) validateArrays() error {
	if len(c.Arrays) == 0 {
		return nil
	}
	if len(c.Arrays) < 2 {
		return fmt.Errorf("want at least two candidate arrays, got %v (one array is --array)", c.Arrays)
	}
	seen := map[ArrayShape]bool{}
	for _, s := range c.Arrays {
		if seen[s] {
			return fmt.Errorf("array %s listed twice", s)
		}
		seen[s] = true
		p, err := accel.ParseArrayShape(s.String())
		if err != nil {
			return err
		}
		if p != s {
			return fmt.Errorf("array %s: field \"arrays\": want 0 (one array) or 2..%d, got %d", s, accel.MaxArrays, s.Arrays)
		}
	}
	for _, a := range c.Candidates() {
		if err := a.Validate(); err != nil {
			return fmt.Errorf("array %s: %w", a.Shape(), err)
		}
	}
	return nil
}

// Array logits live in the architecture scope, one per candidate, initialized to 0 (uniform). Under
// Config.ArrayTurns three more vectors over the candidates sit beside them, none trained by gradient
// (the logits are not either: they are set from the loss estimates).
const (
	scopeArrays   = "arrays"
	arrayLogitVar = "logits"
	arrayTurnVar  = "turn" // one-hot: the array whose widths mask the channels this step
	arrayCEVar    = "ce"   // running mean of the architecture steps' CE on each array's turns
	arraySeenVar  = "seen" // architecture-step turns each array has had
	arrayLeftVar  = "left" // Config.ArrayHalving: 1 for an array still taking turns, 0 for one dropped
)

// ArrayChoice is what Config.ArrayTurns chooses the array by: each array's estimated loss, or that
// loss less its utilization reward.
type ArrayChoice string

const (
	// ArrayChoiceLoss is the search's own loss on each array: mean CE + λ·objective − β·utilization
	// (the default, and the fifth and sixth co-design comparisons' rule).
	ArrayChoiceLoss ArrayChoice = "loss"
	// ArrayChoiceObjective leaves the utilization reward out: mean CE + λ·objective. Within one array
	// the reward steers the widths toward full tiles; across arrays of one PE budget it is a mean of
	// per-block utilizations, unweighted by the blocks' cycles, so it can favour the slower array
	// (docs/CODESIGN.md, seventh comparison).
	ArrayChoiceObjective ArrayChoice = "objective"
)

// ArrayChoices lists the rules as --array-choice spells them.
var ArrayChoices = []ArrayChoice{ArrayChoiceLoss, ArrayChoiceObjective}

// ParseArrayChoice reads an --array-choice value.
func ParseArrayChoice(s string) (ArrayChoice, error) {
	return parseName("array choice", s, ArrayChoices)
}

// ApplyCodesignDefaults fills the co-design options a caller has not chosen with the design that came
// closest to a search of each array alone on the miniature (docs/CODESIGN.md: the twelfth test, 1.01×
// the best array's own searches on seeds 24–31, its confirmation 1.11× on seeds 32–37, 1.05× over the
// fourteen; Gumbel-softmax array logits over one shared width distribution, the zero Config's design,
// were 1.26×): widths per array, the arrays in turn chosen by CE + λ·objective, halved to two at the
// micro stage's end when there are more, the two searched in turn over the channel stage. chosen
// reports whether the caller set an option, named by its JSON key (widths_per_array, array_turns,
// array_choice, array_halving, array_halving_to, array_halving_from); nil is none. Each default
// follows those before it, so a chosen WidthsPerArray or ArrayTurns of false leaves out what needs it.
// The command line applies it to every co-design search; a Config built in Go keeps its zero design
// unless it is called.
func (c *ArraySearch) ApplyCodesignDefaults(chosen func(key string) bool) {
	if chosen == nil {
		chosen = func(string) bool { return false }
	}
	if !chosen("widths_per_array") {
		c.WidthsPerArray = true
	}
	if !chosen("array_turns") {
		c.ArrayTurns = c.WidthsPerArray
	}
	if !chosen("array_choice") && c.ArrayTurns {
		c.ArrayChoice = ArrayChoiceObjective
	}
	if !chosen("array_halving") {
		c.ArrayHalving = c.ArrayTurns && len(c.Arrays) > 2
	}
	if !chosen("array_halving_to") && c.ArrayHalving {
		c.ArrayHalvingTo = min(2, len(c.Arrays)-1)
	}
	if !chosen("array_halving_from") && c.ArrayHalving {
		c.ArrayHalvingFrom = StageMicro
	}
}

// ForArray is the search of one array alone at c's other settings: c with its accelerator's array
// set to s and the candidate arrays and every co-design option cleared. It is the search that follows
// a co-design's choice when the chosen array's own network is wanted (pipeline.Config.Refine).
func (c *Config) ForArray(s ArrayShape) *Config {
	out := *c
	a := *c.Accel
	s.Set(&a)
	out.Accel = &a
	out.ArraySearch = ArraySearch{}
	return &out
}

// arrayTurnRate is the weight of an array's newest turn in its running-mean CE once it has had
// 1/arrayTurnRate turns (1/n before, the plain mean): a window of about ten turns, four of the edge
// preset's channel-stage epochs (10 architecture steps an epoch over four arrays) of its ten, long
// enough to average the batches' noise, short enough to follow the supernet as it trains.
const arrayTurnRate = 0.1

// MaxTurnLRScale bounds Config.TurnLRScale: √A for up to 256 candidate arrays, far past any budget's
// shapes; a larger scale is a typo, not a design.
const MaxTurnLRScale = 16

// turnLRScale is Config.TurnLRScale with 0 read as 1.
func (c *Config) turnLRScale() float64 { return cmp.Or(c.TurnLRScale, 1) }

// archLR is the architecture step's Adam learning rate: Config.ArchLR, times the turn scale in the
// channel stage (Validate allows a scale only with the arrays in turn).
func (s *supernet) archLR() float64 {
	if s.stage == StageChannel {
		return s.cfg.ArchLR * s.cfg.turnLRScale()
	}
	return s.cfg.ArchLR
}

// initArrays creates the array variables of a co-design search.
func (s *supernet) initArrays(ctx *context.Context, dt dtypes.DType) {
	if n := len(s.cfg.Arrays); n > 0 {
		logits := s.arrayLogitVariable(ctx, dt)
		if s.cfg.ArrayTurns {
			logits.SetTrainable(false)
			for _, name := range []string{arrayTurnVar, arrayCEVar, arraySeenVar} {
				s.arrayState(ctx, dt, name)
			}
			if s.cfg.ArrayHalving {
				s.arrayState(ctx, dt, arrayLeftVar)
			}
		}
	}
}

// arrayLogitVariable returns the array logits, created on first use at 0, less droppedLogitGap for
// an array the micro stage dropped (Config.ArrayHalvingFrom micro).
func (s *supernet) arrayLogitVariable(ctx *context.Context, dt dtypes.DType) *context.Variable {
	init := make([]float64, len(s.cfg.Arrays))
	for i, l := range s.leftAtStart() {
		init[i] = -(1 - l) * droppedLogitGap
	}
	return ctx.In(scopeArch).In(scopeArrays).Checked(false).VariableWithValue(arrayLogitVar, tensorOf(dt, init, len(init)))
}

// leftAtStart is the stage's first vector of arrays in turn (1) and dropped (0): in a channel stage
// under Config.ArrayHalvingFrom micro, the arrays the micro stage left (Genotype.ArraysLeft,
// checked by newSupernet); every array otherwise.
func (s *supernet) leftAtStart() []float64 {
	left := make([]float64, len(s.cfg.Arrays))
	for i, a := range s.cfg.Arrays {
		if s.stage != StageChannel || !s.cfg.halvingFromMicro() || slices.Contains(s.geno.ArraysLeft, a.String()) {
			left[i] = 1
		}
	}
	return left
}

// checkArraysLeft reports a genotype whose arrays_left does not fit the channel stage's config: set
// without ArrayHalvingFrom micro, missing under it, or not a set of at least ArrayHalvingTo of the
// candidate arrays.
func (c *Config) checkArraysLeft(g *Genotype) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("genotype: field %q: %s", "arrays_left", fmt.Sprintf(format, args...))
	}
	if !c.halvingFromMicro() {
		if len(g.ArraysLeft) > 0 {
			return bad("set by a micro stage that halved the arrays, but this search's array halving starts in the channel stage (array_halving_from)")
		}
		return nil
	}
	if len(g.ArraysLeft) < c.halvingTo() {
		return bad("want the at least %d arrays the micro stage left (array_halving_from micro), got %v", c.halvingTo(), g.ArraysLeft)
	}
	names := make([]string, len(c.Arrays))
	for i, a := range c.Arrays {
		names[i] = a.String()
	}
	for i, a := range g.ArraysLeft {
		if !slices.Contains(names, a) {
			return bad("array %q is not a candidate (%s)", a, strings.Join(names, ","))
		}
		if slices.Contains(g.ArraysLeft[:i], a) {
			return bad("array %q listed twice", a)
		}
	}
	return nil
}

// arrayState returns one of the untrained vectors of Config.ArrayTurns, created on first use: the turn
// starts at the first candidate left in turn (leftAtStart), the means and counts at zero.
func (s *supernet) arrayState(ctx *context.Context, dt dtypes.DType, name string) *context.Variable {
	init := make([]float64, len(s.cfg.Arrays))
	left := s.leftAtStart()
	switch name {
	case arrayTurnVar:
		init[slices.Index(left, 1)] = 1
	case arrayLeftVar:
		init = left
	}
	return ctx.In(scopeArch).In(scopeArrays).Checked(false).VariableWithValue(name, tensorOf(dt, init, len(init))).SetTrainable(false)
}

// arrayWeights returns the Gumbel-softmax weights [A] over the candidate arrays for one forward pass,
// or nil without co-design.
func (s *supernet) arrayWeights(ctx *context.Context, g *graph.Graph, dt dtypes.DType, tau *graph.Node) *graph.Node {
	n := len(s.cfg.Arrays)
	if n == 0 {
		return nil
	}
	logits := s.arrayLogitVariable(ctx, dt).ValueGraph(g)
	return gumbelSoftmax(ctx, logits, tau)
}

// arrayMix returns the weights over the candidate arrays for one forward pass: those that mix the
// arrays' width rows into the channel mask, and those that weigh each array's hardware terms in the
// loss. Both are the pass's Gumbel-softmax sample, or under Config.ArrayTurns the one-hot of the
// array whose turn it is and the uniform mean over the arrays still taking turns; nil, nil without
// co-design.
func (s *supernet) arrayMix(ctx *context.Context, g *graph.Graph, dt dtypes.DType, tau *graph.Node) (mask, price *graph.Node) {
	if !s.cfg.ArrayTurns {
		w := s.arrayWeights(ctx, g, dt, tau)
		return w, w
	}
	left := s.arraysLeft(ctx, g, dt)
	return s.arrayState(ctx, dt, arrayTurnVar).ValueGraph(g), graph.Div(left, graph.ReduceAllSum(left))
}

// arraysLeft is the vector of arrays still taking turns (1) and dropped (0): every array unless
// Config.ArrayHalving has dropped some.
func (s *supernet) arraysLeft(ctx *context.Context, g *graph.Graph, dt dtypes.DType) *graph.Node {
	if s.cfg.ArrayHalving {
		return s.arrayState(ctx, dt, arrayLeftVar).ValueGraph(g)
	}
	n := len(s.cfg.Arrays)
	return constOf(g, dt, slices.Repeat([]float64{1}, n), n)
}

// updateArrayTurns advances the turn to the next candidate after every step and, after an
// architecture step, folds its CE into the running mean of the array whose turn it was and sets each
// array's logit to minus its estimated loss: its mean CE plus its hardware terms under its own
// current widths, weighed as the loss weighs them (Config.ArrayChoice objective: without the
// utilization reward). The derived array, of largest logit, is the one of lowest estimated loss. The rule that the first architecture step seeds every array's mean keeps
// arrays without a turn yet from looking free of error.
func (s *supernet) updateArrayTurns(ctx *context.Context, g *graph.Graph, phase string, ce *graph.Node, hw hwTerms) {
	dt := ce.DType()
	turnVar := s.arrayState(ctx, dt, arrayTurnVar)
	turn := turnVar.ValueGraph(g)
	n := len(s.cfg.Arrays)
	left := s.arraysLeft(ctx, g, dt)
	rotate := func(x *graph.Node) *graph.Node {
		return graph.Concatenate([]*graph.Node{graph.Slice(x, graph.AxisRange(n-1, n)), graph.Slice(x, graph.AxisRange(0, n-1))}, 0)
	}
	next := rotate(turn)
	if s.cfg.ArrayHalving { // past the arrays dropped, at most n−1 of them
		for range n - 1 {
			dropped := graph.Equal(graph.ReduceAllSum(graph.Mul(next, left)), graph.ScalarZero(g, dt))
			next = graph.Where(dropped, rotate(next), next)
		}
	}
	turnVar.SetValueGraph(next)
	if phase != "arch" {
		return
	}
	ceVar, seenVar := s.arrayState(ctx, dt, arrayCEVar), s.arrayState(ctx, dt, arraySeenVar)
	obs, mean, seen := graph.StopGradient(ce), ceVar.ValueGraph(g), seenVar.ValueGraph(g)
	first := graph.ConvertDType(graph.Equal(graph.ReduceAllSum(seen), graph.ScalarZero(g, dt)), dt)
	mean = graph.Add(mean, graph.Mul(first, graph.Sub(obs, mean)))
	seen = graph.Add(seen, turn)
	rate := graph.Mul(turn, graph.Max(graph.Inverse(graph.Max(seen, graph.OnesLike(seen))), graph.Scalar(g, dt, arrayTurnRate)))
	mean = graph.Add(mean, graph.Mul(rate, graph.Sub(obs, mean)))
	ceVar.SetValueGraph(mean)
	seenVar.SetValueGraph(seen)
	utils := graph.StopGradient(hw.ArrayUtils)
	if s.cfg.ArrayChoice == ArrayChoiceObjective {
		utils = graph.ZerosLike(utils)
	}
	estimate := s.penalized(mean, graph.StopGradient(hw.ArrayCosts), utils)
	if s.cfg.ArrayHalving { // a dropped array's logit sits droppedLogitGap below: never chosen
		estimate = graph.Add(estimate, graph.MulScalar(graph.OneMinus(left), droppedLogitGap))
	}
	s.arrayLogitVariable(ctx, dt).SetValueGraph(graph.Neg(estimate))
}

// halvingTo is Config.ArrayHalvingTo with 0 read as 1.
func (c *Config) halvingTo() int { return cmp.Or(c.ArrayHalvingTo, 1) }

// droppedLogitGap is how far below its estimate a dropped array's logit is set: estimated losses are
// a few units, and e^−1000 is 0 in float32 and float64, so a dropped array is never chosen and its
// probability is exactly 0 (finite, unlike −Inf, for checkpoints and JSON).
const droppedLogitGap = 1000

// halvingLeft is how many of n candidate arrays still take turns after `done` of the `epochs` epochs
// with architecture steps over which Config.ArrayHalving runs (the channel stage's after its warm-up,
// or the micro and channel stages' together under ArrayHalvingFrom micro), halving down to `last`
// arrays: successive halving (Jamieson & Talwalkar, AISTATS 2016) over those epochs, cut into rounds
// of equal length, one per halving and a last one with the `last` arrays left. Each halving keeps
// ⌈k/2⌉ of k, never fewer than `last`. For n = 4 over 10 epochs: down to 1, 4 arrays for epochs 1–3,
// 2 for 4–7, 1 for 8–10; down to 2, 4 for epochs 1–5, 2 for 6–10. A `done` below zero (a warm-up
// epoch) halves nothing.
func halvingLeft(n, last, epochs, done int) int {
	halvings := 0
	for k := n; k > last; k = (k + 1) / 2 {
		halvings++
	}
	left := n
	for r := 1; r <= halvings; r++ {
		end := max(int(math.Round(float64(epochs*r)/float64(halvings+1))), 1)
		if done >= end {
			left = max((left+1)/2, last)
		}
	}
	return left
}

// halvingEpochs places the end of epoch `done` of this stage's `epochs` on the halving's span: the
// span's architecture epochs and how many of them are done (halvingLeft's epochs and done). The span
// is the channel stage's epochs after its warm-up, or under ArrayHalvingFrom micro the micro stage's
// and then the channel stage's.
func (s *supernet) halvingEpochs(epochs, done int) (span, spanDone int) {
	w := s.cfg.WarmupEpochs
	span, spanDone = max(epochs-w, 0), done-w
	if !s.cfg.halvingFromMicro() {
		return span, spanDone
	}
	if s.stage == StageMicro {
		return span + max(s.cfg.EpochsChannel-w, 0), spanDone
	}
	micro := max(s.cfg.EpochsMicro-w, 0)
	return micro + span, micro + max(spanDone, 0)
}

// halvingFromMicro says whether Config.ArrayHalving starts in the micro stage.
func (c *Config) halvingFromMicro() bool { return c.ArrayHalving && c.ArrayHalvingFrom == StageMicro }

// halveArrays drops, after epoch `done` of a stage of `epochs` under Config.ArrayHalving (the channel
// stage, or both under ArrayHalvingFrom micro), the arrays of highest estimated loss (lowest logit)
// until halvingLeft remain (ties keep the earlier candidate), and moves the turn past a dropped
// array. It returns the arrays left ("RxC"); nil otherwise.
func (s *supernet) halveArrays(ctx *context.Context, epochs, done int) []string {
	if !s.cfg.ArrayHalving || (s.stage != StageChannel && !s.cfg.halvingFromMicro()) {
		return nil
	}
	scope := ctx.In(scopeArch).In(scopeArrays)
	leftVar, turnVar := scope.GetVariable(arrayLeftVar), scope.GetVariable(arrayTurnVar)
	left, logits, turn := variableValues(leftVar), s.arrayLogits(ctx), variableValues(turnVar)
	var order []int
	for i, l := range left {
		if l > 0 {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(logits[b], logits[a]) })
	span, spanDone := s.halvingEpochs(epochs, done)
	keep := halvingLeft(len(s.cfg.Arrays), s.cfg.halvingTo(), span, spanDone)
	if len(order) > keep {
		for _, i := range order[keep:] {
			left[i] = 0
			logits[i] -= droppedLogitGap
		}
		set := func(v *context.Variable, x []float64) { v.MustSetValue(tensorOf(v.MustValue().DType(), x, len(x))) }
		set(leftVar, left)
		set(scope.GetVariable(arrayLogitVar), logits)
		now := max(slices.Index(turn, 1), 0)
		for left[now] == 0 {
			now = (now + 1) % len(left)
		}
		turn = make([]float64, len(left))
		turn[now] = 1
		set(turnVar, turn)
	}
	return s.arrayNames(left)
}

// arrayNames names ("RxC") the candidate arrays whose entry in left is set.
func (s *supernet) arrayNames(left []float64) []string {
	var names []string
	for i, l := range left {
		if l > 0 {
			names = append(names, s.cfg.Arrays[i].String())
		}
	}
	return names
}

// arrayLogits reads the array logits (nil without co-design).
func (s *supernet) arrayLogits(ctx *context.Context) []float64 {
	if len(s.cfg.Arrays) == 0 {
		return nil
	}
	v := ctx.In(scopeArch).In(scopeArrays).GetVariable(arrayLogitVar)
	if v == nil {
		return nil
	}
	return variableValues(v)
}

// chosenAccel is the derived accelerator: the candidate of largest array logit, or cfg.Accel without
// co-design.
func (s *supernet) chosenAccel(ctx *context.Context) *accel.Accelerator {
	return s.cfg.Candidates()[s.chosenArray(ctx)]
}

// chosenArray is the index of the candidate of largest array logit (0 without co-design).
func (s *supernet) chosenArray(ctx *context.Context) int {
	logits := s.arrayLogits(ctx)
	best := 0
	for i, l := range logits {
		if l > logits[best] {
			best = i
		}
	}
	return best
}
