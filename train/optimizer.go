package train

import (
	"math"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// GoMLX v0.26.0 offers plain SGD (with a 1/√step decay) and Adam, not SGD with momentum; sgd adds it as
// a GoMLX optimizer (optimizers.Interface). Gradients come from GoMLX's autodiff (graph.Gradient); only
// the update rule is written here, in graph ops.

// optimizerScope holds the optimizer's state: the momentum buffers (one per trainable variable, under
// the variable's own scope) and the learning rate of the last step.
const optimizerScope = "/uboost_sgd"

// lrVarName is the variable (under optimizerScope) holding the rate the last step used, for logging.
const lrVarName = "lr"

// sgd is SGD with (Nesterov) momentum, L2 weight decay on conv/dense weights,
// gradient clipping by global norm and the recipe's learning-rate schedule, all inside the train step
// graph. Its update, per variable w with gradient g (after clipping), rate η, momentum μ:
//
//	g ← g + λ·w          (weights of rank ≥ 2 only)
//	v ← μ·v + g
//	w ← w − η·(g + μ·v)  (Nesterov)   or   w ← w − η·v  (heavy ball)
//
// the form PyTorch's torch.optim.SGD(nesterov=True) takes, so the two frameworks train alike.
type sgd struct {
	cfg        Config
	totalSteps int
}

// UpdateGraph implements optimizers.Interface.
func (o *sgd) UpdateGraph(ctx *context.Context, g *graph.Graph, loss *graph.Node) {
	var vars []*context.Variable
	for v := range ctx.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			vars = append(vars, v)
		}
	}
	if len(vars) == 0 {
		return
	}
	values := make([]*graph.Node, len(vars))
	for i, v := range vars {
		values[i] = v.ValueGraph(g)
	}
	grads := graph.Gradient(loss, values...)
	dtype := loss.DType()

	// The step being taken, 0-based: the incremented global step minus one.
	step := graph.AddScalar(optimizers.IncrementGlobalStepGraph(ctx, g, dtype), -1)
	lr := scheduleGraph(step, o.totalSteps, o.cfg.LR, o.cfg.warmupFraction())
	stateCtx := ctx.InAbsPath(optimizerScope).Checked(false)
	stateCtx.VariableWithValue(lrVarName, shapes.CastAsDType(0.0, dtype)).SetTrainable(false).SetValueGraph(lr)

	if o.cfg.ClipNorm > 0 {
		// Global norm over all gradients; scale = min(1, clip/(norm + 1e-6)), as torch's clip_grad_norm_.
		var sq *graph.Node
		for _, gr := range grads {
			s := graph.ReduceAllSum(graph.Square(graph.ConvertDType(gr, dtype)))
			if sq == nil {
				sq = s
			} else {
				sq = graph.Add(sq, s)
			}
		}
		norm := graph.Sqrt(sq)
		scale := graph.Min(graph.ScalarOne(g, dtype),
			graph.Div(graph.Scalar(g, dtype, o.cfg.ClipNorm), graph.AddScalar(norm, 1e-6)))
		for i := range grads {
			grads[i] = graph.Mul(grads[i], graph.ConvertDType(scale, grads[i].DType()))
		}
	}

	mu := o.cfg.Momentum
	for i, v := range vars {
		w, gr := values[i], grads[i]
		if o.cfg.WeightDecay > 0 && (v.Shape().Rank() >= 2 || o.cfg.WeightDecayAll) {
			gr = graph.Add(gr, graph.MulScalar(w, o.cfg.WeightDecay))
		}
		upd := gr
		if mu > 0 {
			mv := momentumVar(stateCtx, v)
			vel := graph.Add(graph.MulScalar(mv.ValueGraph(g), mu), gr)
			mv.SetValueGraph(vel)
			if o.cfg.Nesterov {
				upd = graph.Add(gr, graph.MulScalar(vel, mu))
			} else {
				upd = vel
			}
		}
		v.SetValueGraph(graph.Sub(w, graph.Mul(upd, graph.ConvertDType(lr, w.DType()))))
	}
}

// momentumVar returns the momentum buffer of v, created as zeros: same scope path as v, under the
// optimizer's scope.
func momentumVar(stateCtx *context.Context, v *context.Variable) *context.Variable {
	scope := strings.TrimPrefix(v.Scope(), context.ScopeSeparator)
	c := stateCtx
	if scope != "" {
		c = stateCtx.In(strings.ReplaceAll(scope, context.ScopeSeparator, "."))
	}
	return c.WithInitializer(initializers.Zero).VariableWithShape(v.Name(), v.Shape()).SetTrainable(false)
}

// Clear implements optimizers.Interface: it deletes the momentum buffers and the logged rate.
func (o *sgd) Clear(ctx *context.Context) error {
	return ctx.InAbsPath(optimizerScope).DeleteVariablesInScope()
}

// scheduleGraph is the learning rate of 0-based step s of total (see OneCycle and Cosine): with
// t = s/total and warm-up fraction w,
//
//	t < w:  lr·(1/25 + (1 − 1/25)·t/w)
//	t ≥ w:  lr·½·(1 + cos(π·(t − w)/(1 − w)))
func scheduleGraph(s *graph.Node, total int, lr, w float64) *graph.Node {
	g := s.Graph()
	t := graph.DivScalar(s, float64(max(total, 1)))
	const start = 1.0 / 25
	ramp := graph.MulScalar(graph.AddScalar(graph.MulScalar(t, (1-start)/math.Max(w, 1e-12)), start), lr)
	u := graph.DivScalar(graph.AddScalar(t, -w), 1-w)
	decay := graph.MulScalar(graph.OnePlus(graph.Cos(graph.MulScalar(u, math.Pi))), lr/2)
	return graph.Where(graph.LessThan(t, graph.Scalar(g, s.DType(), w)), ramp, decay)
}
