package report

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	svgo "github.com/ajstarks/svgo"

	"github.com/uboost/uboost/arch"
)

// Layout of the network drawing, in SVG user units (pixels).
const (
	boxW    = 176 // node box width
	lineH   = 13  // text line height
	boxPadY = 8   // space above the first and below the last line
	gapX    = 28  // least space between boxes of a row
	gapY    = 36  // between rows
	margin  = 24
	titleH  = 30
	lanesW  = 10 // width of the lane a long edge takes in each row it crosses
	laneGap = 10 // least space beside a lane
)

// cellColors are light fills for the nodes (and background bands) of successive cells.
var cellColors = []string{"#dbe9f6", "#fde2c8", "#d9f0d3", "#f3d9ef", "#fff2b3", "#e0e0f5", "#d4f1f0", "#f6d6d6"}

// nodeView is one box of the drawing.
type nodeView struct {
	name, cell string
	lines      []string // text lines after the name
	tip        string   // tooltip: full name, cell, edge, shape
	inputs     []string
	depth      int
	x, y       float64 // top-left corner
}

// opSummary describes a node's operation in one short line: op, kernel, stride, dilation, channels.
func opSummary(nd *arch.Node) string {
	k, s, d, _ := nd.Geometry()
	var b strings.Builder
	b.WriteString(nd.Op)
	switch nd.Op {
	case arch.OpConv, arch.OpDepthwise, arch.OpMaxPool, arch.OpAvgPool:
		if nd.Op == arch.OpAvgPool && nd.Global {
			b.WriteString(" global")
			break
		}
		fmt.Fprintf(&b, " %d×%d", k, k)
		if s > 1 {
			fmt.Fprintf(&b, " s%d", s)
		}
		if d > 1 {
			fmt.Fprintf(&b, " d%d", d)
		}
	}
	if nd.Op == arch.OpConv || nd.Op == arch.OpDense {
		fmt.Fprintf(&b, ", %d ch", nd.Channels)
	}
	if nd.Act != "" {
		b.WriteString(", " + nd.Act)
	}
	return b.String()
}

// fitChars is how many characters fit on one line of a box.
const fitChars = 25 // (boxW − 10 px) at about 6.4 px per character of 11 px sans-serif

// fit shortens s to what fits in a box, keeping head and tail.
func fit(s string) string {
	return abbreviate(s, fitChars)
}

// NetworkSVG draws a network's graph as an SVG document: one box per node (its name, operation with
// kernel, stride, dilation and channels, output shape, and annotate's line such as "util 87%" when
// annotate is non-nil and returns text), arrows from inputs to consumers, and nodes coloured and banded
// by their Cell label. Rows follow topological depth, the longest path from the input, top to bottom;
// a node whose consumers all sit lower moves down to just above them (a cell's input convolution stays
// with its cell). An edge that skips rows runs in its own lane beside the boxes, never through one.
// Hovering a box shows its full name, cell, edge and shape. The network must infer
// (arch.Network.Infer); its error is returned otherwise.
func NetworkSVG(net *arch.Network, annotate func(node string) string) ([]byte, error) {
	if net == nil {
		return nil, fmt.Errorf("network drawing: no network")
	}
	lay, err := layoutNetwork(net, annotate)
	if err != nil {
		return nil, err
	}
	views, boxH := lay.views, lay.boxH
	width := int(math.Ceil(lay.width))
	height := int(2*margin + titleH + float64(lay.rows)*(boxH+gapY) - gapY)
	var b bytes.Buffer
	svg := svgo.New(&b)
	svg.Start(width, height, fmt.Sprintf(`viewBox="0 0 %d %d"`, width, height))
	svg.Title(net.Name)
	svg.Gstyle("font-family:Arial,Helvetica,sans-serif;font-size:11px")
	svg.Text(margin, margin+14, net.Name, "font-size:16px;font-weight:bold")

	// Cell bands behind the boxes, in order of first appearance, each in its cell's colour.
	cellColor := map[string]string{}
	var cells []string
	for _, v := range views {
		if v.cell == "" {
			continue
		}
		if _, ok := cellColor[v.cell]; !ok {
			cellColor[v.cell] = cellColors[len(cells)%len(cellColors)]
			cells = append(cells, v.cell)
		}
	}
	for _, c := range cells {
		x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, v := range views {
			if v.cell == c {
				x0, y0 = min(x0, v.x), min(y0, v.y)
				x1, y1 = max(x1, v.x+boxW), max(y1, v.y+boxH)
			}
		}
		svg.Roundrect(int(x0-10), int(y0-16), int(x1-x0+20), int(y1-y0+22), 8, 8,
			"fill:"+cellColor[c]+";fill-opacity:0.35;stroke:#999;stroke-dasharray:4,3")
		svg.Text(int(x0-6), int(y0-5), fit(c), "font-size:10px;fill:#555;font-style:italic")
	}

	// Edges under the boxes: from the bottom of the source box through the lanes the layout gave the
	// edge in the rows it crosses, into the top of the target box.
	svg.Gstyle("fill:none;stroke:#555;stroke-width:1.2")
	for _, e := range lay.edges {
		xs := []int{int(e.from.x + boxW/2)}
		ys := []int{int(e.from.y + boxH)}
		for _, l := range e.via {
			top := margin + titleH + float64(l.depth)*(boxH+gapY)
			xs = append(xs, int(l.x), int(l.x))
			ys = append(ys, int(top), int(top+boxH))
		}
		xs = append(xs, int(e.to.x+boxW/2))
		ys = append(ys, int(e.to.y))
		svg.Polyline(xs, ys)
		n := len(xs)
		arrowHead(svg, float64(xs[n-2]), float64(ys[n-2]), float64(xs[n-1]), float64(ys[n-1]))
	}
	svg.Gend()

	for _, v := range views {
		fill := "#f4f4f4"
		if c, ok := cellColor[v.cell]; ok {
			fill = c
		}
		svg.Group()
		svg.Title(v.tip)
		svg.Roundrect(int(v.x), int(v.y), boxW, int(boxH), 5, 5, "fill:"+fill+";stroke:#333;stroke-width:1")
		cx := int(v.x + boxW/2)
		y := int(v.y) + boxPadY + lineH - 2
		svg.Text(cx, y, fit(v.name), "text-anchor:middle;font-weight:bold")
		for _, l := range v.lines {
			y += lineH
			svg.Text(cx, y, fit(l), "text-anchor:middle")
		}
		svg.Gend()
	}
	svg.Gend()
	svg.End()
	return b.Bytes(), nil
}

// arrowHead draws a filled triangle at (x2, y2) pointing along the direction from (x1, y1). A polygon
// rather than an SVG marker keeps several inlined drawings free of clashing ids.
func arrowHead(svg *svgo.SVG, x1, y1, x2, y2 float64) {
	dx, dy := x2-x1, y2-y1
	l := math.Hypot(dx, dy)
	if l == 0 {
		return
	}
	dx, dy = dx/l, dy/l
	const length, half = 8.0, 3.5
	bx, by := x2-length*dx, y2-length*dy
	svg.Polygon(
		[]int{int(math.Round(x2)), int(math.Round(bx - half*dy)), int(math.Round(bx + half*dy))},
		[]int{int(math.Round(y2)), int(math.Round(by + half*dx)), int(math.Round(by - half*dx))},
		"fill:#555;stroke:none")
}

// netLayout is a network placed on the page: boxes with their corners, edges with the lanes they take
// through the rows they cross, the box height, the canvas width and the number of rows.
type netLayout struct {
	views  []*nodeView
	byName map[string]*nodeView
	edges  []edgeRoute
	boxH   float64
	width  float64
	rows   int
}

// edgeRoute is one edge of the graph and the lanes it passes through, top to bottom.
type edgeRoute struct {
	from, to *nodeView
	via      []*slot
}

// slot is a place in a row: a node's box, or the lane of an edge that crosses the row (node nil).
type slot struct {
	node    *nodeView
	depth   int
	order   int     // creation order, to break ties
	preds   []*slot // the slots feeding this one from the row above (a box's inputs, a lane's previous hop)
	x       float64 // centre
	desired float64
}

// width is the slot's horizontal extent.
func (s *slot) width() float64 {
	if s.node != nil {
		return boxW
	}
	return lanesW
}

// separation is the least distance between the centres of two neighbouring slots.
func separation(a, b *slot) float64 {
	gap := float64(laneGap)
	if a.node != nil && b.node != nil {
		gap = gapX
	}
	return a.width()/2 + b.width()/2 + gap
}

// layoutNetwork places every node (and the input) in the row of its depth, the longest path from the
// input. It is a small layered ("Sugiyama") layout: an edge that skips rows gets a lane in each row it
// crosses, so it never runs through a box; each row is ordered and placed, top to bottom, near where its
// inputs are (a box under its direct inputs, a new lane beside its source, a lane under its previous
// hop), then pushed apart just enough that nothing overlaps.
func layoutNetwork(net *arch.Network, annotate func(node string) string) (*netLayout, error) {
	shapes, err := net.Infer()
	if err != nil {
		return nil, fmt.Errorf("network drawing %q: %w", net.Name, err)
	}
	views := []*nodeView{{
		name:  arch.InputName,
		lines: []string{"image", "→ " + net.Input.String()},
		tip:   "input " + net.Input.String(),
	}}
	byName := map[string]*nodeView{arch.InputName: views[0]}
	for i := range net.Nodes {
		nd := &net.Nodes[i]
		v := &nodeView{name: nd.Name, cell: nd.Cell, inputs: nd.Inputs}
		v.lines = []string{opSummary(nd), "→ " + shapes[nd.Name].String()}
		v.tip = fmt.Sprintf("%s: %s → %s", nd.Name, opSummary(nd), shapes[nd.Name])
		if nd.Cell != "" {
			v.tip += "; cell " + nd.Cell
		}
		if nd.Edge != "" {
			v.tip += "; edge " + nd.Edge
		}
		if annotate != nil {
			if a := annotate(nd.Name); a != "" {
				v.lines = append(v.lines, a)
				v.tip += "; " + a
			}
		}
		// Infer has checked that every input exists and comes earlier, so depths are final in one pass.
		for _, in := range nd.Inputs {
			v.depth = max(v.depth, byName[in].depth+1)
		}
		byName[nd.Name] = v
		views = append(views, v)
	}

	sink(views, byName)

	maxLines := 0
	for _, v := range views {
		maxLines = max(maxLines, len(v.lines)+1)
	}
	lay := &netLayout{views: views, byName: byName, boxH: float64(2*boxPadY + lineH*maxLines)}

	var rows [][]*slot
	order := 0
	addSlot := func(sl *slot) *slot {
		for len(rows) <= sl.depth {
			rows = append(rows, nil)
		}
		sl.order = order
		order++
		rows[sl.depth] = append(rows[sl.depth], sl)
		return sl
	}
	box := map[*nodeView]*slot{}
	for _, v := range views {
		box[v] = addSlot(&slot{node: v, depth: v.depth})
	}
	for _, v := range views {
		for _, in := range v.inputs {
			u := byName[in]
			e := edgeRoute{from: u, to: v}
			prev := box[u]
			for d := u.depth + 1; d < v.depth; d++ {
				prev = addSlot(&slot{depth: d, preds: []*slot{prev}})
				e.via = append(e.via, prev)
			}
			box[v].preds = append(box[v].preds, prev)
			lay.edges = append(lay.edges, e)
		}
	}

	for _, row := range rows {
		for _, sl := range row {
			sl.desired = desiredX(sl)
		}
		slices.SortStableFunc(row, func(a, b *slot) int {
			if c := cmp.Compare(a.desired, b.desired); c != 0 {
				return c
			}
			return cmp.Compare(a.order, b.order)
		})
		spread(row)
	}

	// Shift everything right of the margin and size the canvas.
	left, right := math.Inf(1), math.Inf(-1)
	for _, row := range rows {
		for _, sl := range row {
			left = min(left, sl.x-sl.width()/2)
			right = max(right, sl.x+sl.width()/2)
		}
	}
	for _, row := range rows {
		for _, sl := range row {
			sl.x += margin - left
			if sl.node != nil {
				sl.node.x = sl.x - boxW/2
				sl.node.y = margin + titleH + float64(sl.depth)*(lay.boxH+gapY)
			}
		}
	}
	lay.width = right - left + 2*margin
	lay.rows = len(rows)
	return lay, nil
}

// desiredX is where a slot would sit if nothing were in its way: a box centred under its direct inputs
// (under its lanes if it has no direct input), a lane straight under its previous lane, and an edge's
// first lane just right of its source box, so a skip connection runs beside the chain it skips.
func desiredX(sl *slot) float64 {
	if len(sl.preds) == 0 {
		return 0
	}
	if sl.node == nil {
		p := sl.preds[0]
		if p.node != nil {
			return p.x + boxW/2 + laneGap + lanesW/2
		}
		return p.x
	}
	sum, n := 0.0, 0
	for _, p := range sl.preds {
		if p.node != nil {
			sum += p.x
			n++
		}
	}
	if n == 0 {
		for _, p := range sl.preds {
			sum += p.x
		}
		n = len(sl.preds)
	}
	return sum / float64(n)
}

// spread places an ordered row as close to its desired positions as the separations allow: a left-to-right
// pass that pushes slots right, a right-to-left pass that pushes them left, and the mean of the two. Both
// passes meet every separation, and so does their mean, since the constraints x[i+1] − x[i] ≥ sep are
// convex.
func spread(row []*slot) {
	n := len(row)
	right := make([]float64, n)
	leftward := make([]float64, n)
	for i, sl := range row {
		right[i] = sl.desired
		if i > 0 {
			right[i] = max(right[i], right[i-1]+separation(row[i-1], sl))
		}
	}
	for i := n - 1; i >= 0; i-- {
		leftward[i] = row[i].desired
		if i < n-1 {
			leftward[i] = min(leftward[i], leftward[i+1]-separation(row[i], row[i+1]))
		}
	}
	for i, sl := range row {
		sl.x = (right[i] + leftward[i]) / 2
	}
}

// sink moves each node whose consumers all sit two or more rows below it down to the row just above
// the nearest of them. Longest-path depth puts a node as high as its inputs allow; a cell's input
// convolution that reads an early tensor would then float far above its cell, dragging long edges
// and the cell's band across everything between. The output node and nodes without consumers stay.
func sink(views []*nodeView, byName map[string]*nodeView) {
	consumers := map[*nodeView][]*nodeView{}
	for _, v := range views {
		for _, in := range v.inputs {
			u := byName[in]
			consumers[u] = append(consumers[u], v)
		}
	}
	// Reverse topological order, so consumers have settled before their inputs move.
	for i := len(views) - 1; i > 0; i-- {
		v := views[i]
		cs := consumers[v]
		if len(cs) == 0 {
			continue
		}
		lowest := math.MaxInt
		for _, c := range cs {
			lowest = min(lowest, c.depth)
		}
		v.depth = max(v.depth, lowest-1)
	}
}
