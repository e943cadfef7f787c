package report

import (
	"strings"
	"testing"

	"github.com/uboost/uboost/arch"
)

// cellNet is a small searched-looking network:
//
//	input ─► stem ─┬► a ─► y ─┐
//	               └► b ─► x ─┴► sum ◄─ a (skips two rows)
//	sum ─► pool ─► fc
//
// Depths (longest path from input): stem 1, a 2, b 2, x 3, y 3, sum 4, pool 5, fc 6.
func cellNet() *arch.Network {
	return &arch.Network{
		Format: arch.Format, Name: "tiny <net>", Input: arch.Shape{H: 8, W: 8, C: 3}, Classes: 10,
		Nodes: []arch.Node{
			{Name: "stem", Op: arch.OpConv, Inputs: []string{"input"}, Kernel: 3, Channels: 8, BN: true, Act: arch.ActReLU},
			{Name: "a", Op: arch.OpConv, Inputs: []string{"stem"}, Kernel: 3, Dilation: 2, Channels: 8, Cell: "cell0", Edge: "0->1"},
			{Name: "b", Op: arch.OpIdentity, Inputs: []string{"stem"}, Cell: "cell0", Edge: "0->2"},
			{Name: "x", Op: arch.OpDepthwise, Inputs: []string{"b"}, Kernel: 3, Cell: "cell0"},
			{Name: "y", Op: arch.OpMaxPool, Inputs: []string{"a"}, Kernel: 3, Stride: 1, Cell: "cell0"},
			{Name: "sum", Op: arch.OpAdd, Inputs: []string{"x", "y", "a"}, Cell: "cell1 & co"},
			{Name: "pool", Op: arch.OpAvgPool, Inputs: []string{"sum"}, Global: true},
			{Name: "fc", Op: arch.OpDense, Inputs: []string{"pool"}, Channels: 10},
		},
	}
}

func TestLayoutDepthsAndOrder(t *testing.T) {
	lay, err := layoutNetwork(cellNet(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"input": 0, "stem": 1, "a": 2, "b": 2, "x": 3, "y": 3, "sum": 4, "pool": 5, "fc": 6}
	for name, d := range want {
		if got := lay.byName[name].depth; got != d {
			t.Errorf("depth of %s = %d, want %d", name, got, d)
		}
	}
	if lay.rows != 7 || lay.widest != 2 {
		t.Errorf("grid %d rows × %d wide, want 7 × 2", lay.rows, lay.widest)
	}
	// Row 2 keeps node order (a left of b); in row 3, y (fed by a) moves left of x (fed by b) although x
	// comes first in the file: the barycentre ordering.
	by := lay.byName
	if by["a"].x >= by["b"].x {
		t.Errorf("a at x=%g should be left of b at x=%g", by["a"].x, by["b"].x)
	}
	if by["y"].x >= by["x"].x {
		t.Errorf("y at x=%g should be left of x at x=%g", by["y"].x, by["x"].x)
	}
	// Rows go down the page.
	if !(by["stem"].y < by["a"].y && by["a"].y < by["x"].y && by["x"].y < by["fc"].y) {
		t.Error("rows are not ordered top to bottom")
	}
}

func TestOpSummary(t *testing.T) {
	for _, c := range []struct {
		node arch.Node
		want string
	}{
		{arch.Node{Op: arch.OpConv, Kernel: 3, Stride: 2, Dilation: 2, Channels: 64, Act: arch.ActReLU}, "conv 3×3 s2 d2, 64 ch, relu"},
		{arch.Node{Op: arch.OpConv, Kernel: 1, Channels: 128}, "conv 1×1, 128 ch"},
		{arch.Node{Op: arch.OpDepthwise, Kernel: 5}, "depthwise 5×5"},
		{arch.Node{Op: arch.OpMaxPool, Kernel: 3, Stride: 2}, "maxpool 3×3 s2"},
		{arch.Node{Op: arch.OpAvgPool, Global: true}, "avgpool global"},
		{arch.Node{Op: arch.OpDense, Channels: 10}, "dense, 10 ch"},
		{arch.Node{Op: arch.OpAdd, Act: arch.ActReLU}, "add, relu"},
		{arch.Node{Op: arch.OpZero}, "zero"},
	} {
		if got := opSummary(&c.node); got != c.want {
			t.Errorf("opSummary(%+v) = %q, want %q", c.node, got, c.want)
		}
	}
}

func TestNetworkSVG(t *testing.T) {
	net := cellNet()
	doc, err := NetworkSVG(net, func(node string) string {
		if node == "a" {
			return "util 87%"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	d := parseSVG(t, doc)
	for _, s := range []string{"tiny <net>", "input", "stem", "a", "b", "x", "y", "sum", "pool", "fc",
		"cell0", "cell1 & co", "util 87%", "conv 3×3 d2, 8 ch", "→ 8×8×8", "dense, 10 ch", "→ 1×1×10"} {
		if !d.hasText(s) {
			t.Errorf("no text %q", s)
		}
	}
	// The tooltip of a carries its cell, edge and annotation.
	found := false
	for _, s := range d.texts {
		if strings.Contains(s, "a: conv 3×3 d2, 8 ch → 8×8×8; cell cell0; edge 0->1; util 87%") {
			found = true
		}
	}
	if !found {
		t.Errorf("no tooltip for a in %q", d.texts)
	}
	// One arrowhead per edge: stem, a, b, x, y, sum(3), pool, fc → 1+1+1+1+1+3+1+1 = 10.
	if got := d.elements["polygon"]; got != 10 {
		t.Errorf("%d arrowheads, want 10", got)
	}
	// One box per node plus the input (9) and one band per cell (2).
	if got := d.elements["rect"]; got != 11 {
		t.Errorf("%d rectangles, want 11", got)
	}
	if d.attr("viewBox") == "" {
		t.Error("no viewBox: the drawing will not scale")
	}
}

func TestNetworkSVGZoo(t *testing.T) {
	for _, name := range arch.ZooNames() {
		net, err := arch.ZooNetwork(name)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := NetworkSVG(net, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d := parseSVG(t, doc)
		if !d.hasText(net.Output()) {
			t.Errorf("%s: no box for the output node %q", name, net.Output())
		}
	}
}

func TestNetworkSVGBadInput(t *testing.T) {
	if _, err := NetworkSVG(nil, nil); err == nil {
		t.Error("nil network: no error")
	}
	net := cellNet()
	net.Nodes[3].Inputs = []string{"nowhere"}
	_, err := NetworkSVG(net, nil)
	if err == nil || !strings.Contains(err.Error(), `"inputs"`) || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("unknown input: error %v should name the field and the input", err)
	}
}
