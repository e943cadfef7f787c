package pipeline

import (
	"slices"
	"testing"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/search"
	"github.com/uboost/uboost/sim"
)

// TestWidthMoves derives a one-cell network whose only searched layers are the cell's pre-convs and
// one 3×3 edge, and checks each move against the network derived and simulated directly: the
// neighbours on the channel grid (16 and 48 around 32, only 24 above the lowest option 16), the
// on-grid flag for a 32-column array, and that leaving a multiple of 32 for the next option up costs
// latency (a second column tile).
func TestWidthMoves(t *testing.T) {
	cfg, err := search.Preset("demo")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Cells, cfg.Pool = 1, []bool{true}
	cfg.Channels = []int{16, 24, 32, 40, 48}
	ops := slices.Repeat([]string{search.OpZero}, len(search.Edges))
	ops[7] = search.OpConv3x3 // xp → t3
	g := &search.Genotype{Ops: [][]string{ops}}
	in := arch.Shape{H: 8, W: 8, C: 1}
	widths := search.Widths{"c1.xp_pre": 32, "c1.xp-t3.conv3x3": 16}
	net, err := search.Derive(cfg, in, 10, g, widths)
	if err != nil {
		t.Fatal(err)
	}
	a := accel.New(32, 32)
	moves, err := WidthMoves(cfg, sim.Options{}, a, net, g, widths)
	if err != nil {
		t.Fatal(err)
	}
	type move struct {
		layer    string
		from, to int
		onGrid   bool
	}
	var got []move
	for _, m := range moves {
		got = append(got, move{m.Layer, m.Width, m.To, m.OnGrid})
	}
	want := []move{{"c1.xp-t3.conv3x3", 16, 24, false}, {"c1.xp_pre", 32, 24, false}, {"c1.xp_pre", 32, 40, false}}
	if !slices.Equal(got, want) {
		t.Fatalf("moves %v, want %v", got, want)
	}
	base := simulate(t, a, net)
	for _, m := range moves {
		moved := search.Widths{"c1.xp_pre": 32, "c1.xp-t3.conv3x3": 16}
		moved[m.Layer] = m.To
		alt, err := search.Derive(cfg, in, 10, g, moved)
		if err != nil {
			t.Fatal(err)
		}
		r := simulate(t, a, alt)
		if m.LatencyMs != r.Total.LatencyMs || m.Utilization != r.Total.Utilization {
			t.Errorf("%s → %d: %g ms at %g, direct simulation %g ms at %g", m.Layer, m.To, m.LatencyMs, m.Utilization, r.Total.LatencyMs, r.Total.Utilization)
		}
	}
	if up := moves[2]; !(up.LatencyMs > base.Total.LatencyMs) {
		t.Errorf("c1.xp_pre 32 → 40 on 32 columns: %g ms, not above the searched %g ms", up.LatencyMs, base.Total.LatencyMs)
	}
}

func simulate(t *testing.T, a *accel.Accelerator, net *arch.Network) *cost.Report {
	t.Helper()
	layers, err := net.Layers()
	if err != nil {
		t.Fatal(err)
	}
	r, err := cost.NewSimulator(sim.Options{}).Estimate(a, layers)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
