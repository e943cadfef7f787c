package train

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/engine"
	"github.com/uboost/uboost/nn"
)

// Model is a trained run reloaded for inference: its network and its last checkpoint's variables, with
// batch norm on its moving averages, as Evaluate runs it.
type Model struct {
	Net *arch.Network
	// BNEpsilon is the epsilon its batch norms add to the variance.
	BNEpsilon float64
	ctx       *context.Context
	backend   backends.Backend
}

// LoadModel reloads the network and last checkpoint of a run directory. All variables are loaded (the
// inference graph is built once on one blank image), so that Variable finds each of them.
func LoadModel(runDir string) (m *Model, err error) {
	_, net, backend, mctx, err := openRun(runDir)
	if err != nil {
		return nil, err
	}
	m = &Model{Net: net, ctx: mctx, backend: backend, BNEpsilon: context.GetParamOr(mctx, nn.ParamBNEpsilon, 1e-5)}
	if err := catch(func() error {
		_, err := m.logits(tensors.FromShape(shapes.Make(dtypes.Float32, 1, net.Input.H, net.Input.W, net.Input.C)))
		return err
	}); err != nil {
		return nil, fmt.Errorf("run %s: %w", runDir, err)
	}
	return m, nil
}

// openRun reloads a run directory's configuration, network and last checkpoint on a new engine
// backend: what LoadModel and Evaluate share.
func openRun(runDir string) (cfg Config, net *arch.Network, backend backends.Backend, mctx *context.Context, err error) {
	if cfg, net, err = LoadRun(runDir); err != nil {
		return cfg, nil, nil, nil, err
	}
	if backend, err = engine.NewBackend(); err != nil {
		return cfg, nil, nil, nil, err
	}
	if err = catch(func() error {
		var err error
		mctx, _, err = openContext(cfg, filepath.Join(runDir, CheckpointsDir), true)
		return err
	}); err != nil {
		return cfg, nil, nil, nil, fmt.Errorf("run %s: %w", runDir, err)
	}
	return cfg, net, backend, mctx, nil
}

// Logits runs the network on images [n, H, W, C] (float32, NHWC) and returns the logits [n, classes],
// row by row.
func (m *Model) Logits(images *tensors.Tensor) (logits []float32, err error) {
	err = catch(func() error {
		out, err := m.logits(images)
		if err != nil {
			return err
		}
		logits = tensors.MustCopyFlatData[float32](out)
		return nil
	})
	return logits, err
}

func (m *Model) logits(images *tensors.Tensor) (*tensors.Tensor, error) {
	exec, err := context.NewExec(m.backend, m.ctx.Reuse(), func(ctx *context.Context, x *graph.Node) *graph.Node {
		return nn.Build(ctx, m.Net, x)
	})
	if err != nil {
		return nil, err
	}
	defer exec.Finalize()
	out, err := exec.Exec(images)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// Variable returns a variable of the trained network by its node's scope and name as package nn
// names them ("weights", "biases", "batch_normalization/mean", ...): its dimensions and float32
// values.
func (m *Model) Variable(node, name string) (dims []int, values []float32, ok bool) {
	scope, base := "/"+node, name
	if i := strings.LastIndex(name, "/"); i >= 0 {
		scope, base = scope+"/"+name[:i], name[i+1:]
	}
	v := m.ctx.GetVariableByScopeAndName(scope, base)
	if v == nil {
		return nil, nil, false
	}
	t := v.MustValue()
	return t.Shape().Dimensions, tensors.MustCopyFlatData[float32](t), true
}
