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
	if lay.rows != 7 {
		t.Errorf("%d rows, want 7", lay.rows)
	}
	checkNoOverlap(t, lay)
	// Row 2 keeps node order (a left of b); in row 3, y (fed by a) moves left of x (fed by b) although x
	// comes first in the file: the barycentre ordering.
	by := lay.byName
	if by["a"].x >= by["b"].x {
		t.Errorf("a at x=%g should be left of b at x=%g", by["a"].x, by["b"].x)
	}
	if by["y"].x >= by["x"].x {
		t.Errorf("y at x=%g should be left of x at x=%g", by["y"].x, by["x"].x)
	}
	// The edge a → sum skips row 3, so it takes one lane there, between y and x.
	var lane *slot
	for _, e := range lay.edges {
		if e.from.name == "a" && e.to.name == "sum" {
			if len(e.via) != 1 || e.via[0].depth != 3 {
				t.Fatalf("a → sum passes %d lanes, want one in row 3", len(e.via))
			}
			lane = e.via[0]
		}
	}
	if lane == nil {
		t.Fatal("no edge a → sum")
	}
	if !(by["y"].x+boxW < lane.x && lane.x < by["x"].x) {
		t.Errorf("lane at %g not between y (%g) and x (%g)", lane.x, by["y"].x, by["x"].x)
	}
	if len(lay.edges) != 10 {
		t.Errorf("%d edges, want 10", len(lay.edges))
	}
	// Rows go down the page.
	if !(by["stem"].y < by["a"].y && by["a"].y < by["x"].y && by["x"].y < by["fc"].y) {
		t.Error("rows are not ordered top to bottom")
	}
}

// checkNoOverlap fails the test if two boxes, or a box and an edge lane, overlap in a row.
func checkNoOverlap(t *testing.T, lay *netLayout) {
	t.Helper()
	type span struct {
		lo, hi float64
		what   string
	}
	rows := map[int][]span{}
	for _, v := range lay.views {
		rows[v.depth] = append(rows[v.depth], span{v.x, v.x + boxW, v.name})
	}
	for _, e := range lay.edges {
		for _, l := range e.via {
			rows[l.depth] = append(rows[l.depth], span{l.x - lanesW/2, l.x + lanesW/2, "lane " + e.from.name + "→" + e.to.name})
		}
	}
	for d, r := range rows {
		for i := range r {
			for j := i + 1; j < len(r); j++ {
				if r[i].lo < r[j].hi && r[j].lo < r[i].hi {
					t.Errorf("row %d: %s [%g, %g] overlaps %s [%g, %g]", d, r[i].what, r[i].lo, r[i].hi, r[j].what, r[j].lo, r[j].hi)
				}
			}
		}
	}
}

func TestLayoutResNetChainIsStraight(t *testing.T) {
	net, err := arch.ZooNetwork("resnet18")
	if err != nil {
		t.Fatal(err)
	}
	lay, err := layoutNetwork(net, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkNoOverlap(t, lay)
	// The first stage has identity shortcuts only: its main chain is one column, and each shortcut
	// runs in lanes beside it, not through a box.
	chain := []string{"conv1", "maxpool", "layer1.0.conv1", "layer1.0.conv2", "layer1.0.add", "layer1.1.conv1", "layer1.1.conv2", "layer1.1.add"}
	x0 := lay.byName[chain[0]].x
	for _, name := range chain[1:] {
		if x := lay.byName[name].x; x != x0 {
			t.Errorf("%s at x=%g, want the column of conv1 at %g", name, x, x0)
		}
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
