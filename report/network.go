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
	boxW     = 176 // node box width
	lineH    = 13  // text line height
	boxPadY  = 8   // space above the first and below the last line
	gapX     = 28  // between boxes of a row
	gapY     = 36  // between rows
	margin   = 24
	titleH   = 30
	charW    = 6.4 // average advance of an 11 px sans-serif character, to shorten long names
	skipBend = 34  // how far right of the boxes an edge that skips rows bends
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
const fitChars = 25 // ⌊(boxW − 10)/charW⌋

// fit shortens s to what fits in a box, keeping head and tail.
func fit(s string) string {
	return abbreviate(s, fitChars)
}

// NetworkSVG draws a network's graph as an SVG document: one box per node (its name, operation with
// kernel, stride, dilation and channels, output shape, and annotate's line such as "util 87%" when
// annotate is non-nil and returns text), arrows from inputs to consumers, rows by topological depth
// (longest path from the input) from top to bottom, and nodes coloured and banded by their Cell label.
// Edges that skip rows bend out to the right of the boxes. Hovering a box shows its full name, cell,
// edge and shape. The network must infer (arch.Network.Infer); its error is returned otherwise.
func NetworkSVG(net *arch.Network, annotate func(node string) string) ([]byte, error) {
	if net == nil {
		return nil, fmt.Errorf("network drawing: no network")
	}
	lay, err := layoutNetwork(net, annotate)
	if err != nil {
		return nil, err
	}
	views, byName, boxH := lay.views, lay.byName, lay.boxH
	width := int(2*margin + float64(lay.widest)*(boxW+gapX) - gapX + skipBend + 40)
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

	// Edges under the boxes: straight down between adjacent rows, bent to the right across skipped ones.
	svg.Gstyle("fill:none;stroke:#555;stroke-width:1.2")
	for _, v := range views {
		for _, in := range v.inputs {
			u := byName[in]
			if v.depth-u.depth == 1 {
				x1, y1 := u.x+boxW/2, u.y+boxH
				x2, y2 := v.x+boxW/2, v.y
				svg.Line(int(x1), int(y1), int(x2), int(y2))
				arrowHead(svg, x1, y1, x2, y2)
				continue
			}
			x1, y1 := u.x+boxW, u.y+boxH/2
			x2, y2 := v.x+boxW, v.y+boxH/2
			bend := max(x1, x2) + skipBend + 2*float64(v.depth-u.depth)
			svg.Path(fmt.Sprintf("M%.0f,%.0f C%.0f,%.0f %.0f,%.0f %.0f,%.0f", x1, y1, bend, y1, bend, y2, x2, y2))
			arrowHead(svg, bend, y2, x2, y2)
		}
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

// netLayout is a network placed on the page: boxes with their corners, the box height, and the grid's
// widest row and number of rows.
type netLayout struct {
	views  []*nodeView
	byName map[string]*nodeView
	boxH   float64
	widest int
	rows   int
}

// layoutNetwork places every node (and the input) in the row of its depth, the longest path from the
// input, ordering each row by the mean position of its inputs.
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

	// Rows by depth, in node order, then each row ordered by the mean position of its inputs
	// (the barycentre heuristic), which keeps most edges short and uncrossed.
	maxLines := 0
	var rows [][]*nodeView
	for _, v := range views {
		for len(rows) <= v.depth {
			rows = append(rows, nil)
		}
		rows[v.depth] = append(rows[v.depth], v)
		maxLines = max(maxLines, len(v.lines)+1)
	}
	boxH := float64(2*boxPadY + lineH*maxLines)
	widest := 0
	for _, r := range rows {
		widest = max(widest, len(r))
	}
	place := func(r []*nodeView, d int) {
		left := margin + float64(widest-len(r))*(boxW+gapX)/2
		for i, v := range r {
			v.x = left + float64(i)*(boxW+gapX)
			v.y = margin + titleH + float64(d)*(boxH+gapY)
		}
	}
	for d, r := range rows {
		if d > 0 {
			centre := make(map[*nodeView]float64, len(r))
			for _, v := range r {
				sum := 0.0
				for _, in := range v.inputs {
					sum += byName[in].x
				}
				centre[v] = sum / float64(len(v.inputs))
			}
			slices.SortStableFunc(r, func(a, b *nodeView) int { return cmp.Compare(centre[a], centre[b]) })
		}
		place(r, d)
	}

	return &netLayout{views: views, byName: byName, boxH: boxH, widest: widest, rows: len(rows)}, nil
}
