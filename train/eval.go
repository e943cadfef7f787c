package train

import (
	"fmt"
	"io"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/data"
	"github.com/uboost/uboost/nn"
)

// Evaluate reloads a run's last checkpoint and evaluates it on the test split of ds, or, when ds is
// nil, of the data set the run was trained on (config.json's data spec). Batch norm uses its moving
// averages. The result also carries the run's parameters count and step.
func Evaluate(runDir string, ds *data.Dataset) (res *Result, err error) {
	cfg, net, backend, mctx, err := openRun(runDir)
	if err != nil {
		return nil, err
	}
	if ds == nil {
		ds, err = data.Open(cfg.Data, data.Options{Seed: cfg.Seed, ValFraction: cfg.ValFraction})
		if err != nil {
			return nil, err
		}
	}
	if ds.H != net.Input.H || ds.W != net.Input.W || ds.C != net.Input.C || len(ds.Classes) != net.Classes {
		return nil, fmt.Errorf("run %s: arch %q wants %s images in %d classes, data %s has %d×%d×%d in %d classes",
			runDir, net.Name, net.Input, net.Classes, ds.Spec, ds.H, ds.W, ds.C, len(ds.Classes))
	}
	err = catch(func() error {
		res, err = evaluate(backend, mctx, net, ds.Test, cfg.evalBatch())
		if err != nil {
			return err
		}
		fillResult(res, cfg, net, mctx)
		res.Data = ds.Spec.String()
		res.Backend = backend.Name()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", runDir, err)
	}
	return res, nil
}

// evaluate runs the model in inference mode over every image of split and returns its top-1 and top-5
// accuracy and mean loss (in the Test* fields).
func evaluate(backend backends.Backend, mctx *context.Context, net *arch.Network, split *data.Split, batch int) (*Result, error) {
	if split.Len() == 0 {
		return nil, fmt.Errorf("data %s: the %s split is empty", split.Dataset().Spec, split.Name)
	}
	exec, err := context.NewExec(backend, mctx.Reuse(), func(ctx *context.Context, images, labels *graph.Node) []*graph.Node {
		return scoreGraph(nn.Build(ctx, net, images), labels)
	})
	if err != nil {
		return nil, err
	}
	defer exec.Finalize()
	loader := split.Loader(data.EvalOptions(batch))
	var sums [3]float64
	for {
		b, err := loader.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		out, err := exec.Exec(b.Images, b.Labels)
		b.Images.FinalizeAll()
		b.Labels.FinalizeAll()
		if err != nil {
			return nil, err
		}
		for i := range sums {
			sums[i] += scalar(out[i])
			out[i].FinalizeAll()
		}
	}
	n := float64(split.Len())
	return &Result{TestLoss: sums[0] / n, TestAccuracy: sums[1] / n, Top5: sums[2] / n, TestImages: split.Len()}, nil
}

// scoreGraph returns, summed over a batch, the cross-entropy and the number of images whose label is
// the top-1 and among the top-5 logits. An image's rank is the number of classes scoring strictly
// higher than its label; it is top-k when rank < k (ties favour the label, as a stable argmax would
// when the label comes first).
func scoreGraph(logits, labels *graph.Node) []*graph.Node {
	g := logits.Graph()
	classes := logits.Shape().Dimensions[1]
	onehot := graph.OneHot(graph.Reshape(labels, labels.Shape().Size()), classes, logits.DType())
	trueLogit := graph.ReduceAndKeep(graph.Mul(logits, onehot), graph.ReduceSum, 1)
	higher := graph.ConvertDType(graph.GreaterThan(logits, graph.BroadcastToDims(trueLogit, logits.Shape().Dimensions...)), dtypes.Float32)
	rank := graph.ReduceSum(higher, 1)
	count := func(k int) *graph.Node {
		return graph.ReduceAllSum(graph.ConvertDType(graph.LessThan(rank, graph.Scalar(g, dtypes.Float32, float64(k))), dtypes.Float32))
	}
	// Cross-entropy: −log softmax of the label's logit.
	ce := graph.Neg(graph.ReduceAllSum(graph.Mul(graph.LogSoftmax(logits, 1), onehot)))
	return []*graph.Node{graph.ConvertDType(ce, dtypes.Float32), count(1), count(5)}
}
