package engine

import (
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

func TestSmoke(t *testing.T) {
	b := Backend()
	e := MustNewExec(b, func(x, k *Node) (*Node, *Node, *Node) {
		y := Convolve(x, k).PadSame().Done()
		loss := ReduceAllSum(Square(y))
		g := Gradient(loss, x, k)
		return y, g[0], g[1]
	})
	x := tensors.FromValue([][][][]float32{{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}}})
	k := tensors.FromValue([][][][]float32{{{{1}, {0}}, {{0}, {1}}}, {{{1}, {1}}, {{0}, {0}}}})
	out := e.MustExec(x, k)
	for _, o := range out {
		t.Logf("%v", o)
	}
}
