package search

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/uboost/uboost/arch"
)

func TestPlanCellPrunesDeadBranches(t *testing.T) {
	z := OpZero
	for _, tc := range []struct {
		name   string
		ops    []string // xp-t1 xpp-t1 t1-t2 xp-t2 xpp-t2 t2-t3 t1-t3 xp-t3 xpp-t3
		live   []int    // indices of live edges
		needed []string
	}{
		// t2 receives nothing, so t2→t3 is dead although it is not zero; t3 = id(t1) + conv5(xpp).
		{"empty t2", []string{OpConv3x3, z, z, z, z, OpConv3x3, OpIdentity, z, OpConv5x5}, []int{0, 6, 8}, []string{"t1", "t3", "xp", "xpp"}},
		// t2 is computed but nobody reads it (t2→t3 zero): its edges die, and with them the xpp pre-conv.
		{"unread t2", []string{OpConv3x3, z, OpSep3x3, z, OpDil3x3, z, z, OpIdentity, z}, []int{7}, []string{"t3", "xp"}},
		{"all live", slices.Repeat([]string{OpConv3x3}, 9), []int{0, 1, 2, 3, 4, 5, 6, 7, 8}, []string{"t1", "t2", "t3", "xp", "xpp"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := planCell(tc.ops)
			if err != nil {
				t.Fatal(err)
			}
			var live []int
			for j, l := range p.edgeLive {
				if l {
					live = append(live, j)
				}
			}
			if !slices.Equal(live, tc.live) {
				t.Errorf("live edges %v, want %v", live, tc.live)
			}
			var needed []string
			for n, ok := range p.needed {
				if ok {
					needed = append(needed, n)
				}
			}
			slices.Sort(needed)
			if !slices.Equal(needed, tc.needed) {
				t.Errorf("needed nodes %v, want %v", needed, tc.needed)
			}
		})
	}
	if _, err := planCell([]string{OpConv3x3, OpConv3x3, OpConv3x3, z, z, z, z, z, z}); err == nil {
		t.Error("a cell whose t3 receives only zero ops was accepted")
	}
}

func TestPreGeometry(t *testing.T) {
	for _, tc := range []struct{ from, to, stride, pad int }{
		{14, 14, 1, 1}, // same side: stride 1, "same" padding
		{14, 7, 2, 1},  // (14 + 2 − 3)/2 + 1 = 7
		{7, 3, 2, 0},   // after a floor pool 7 → 3: (7 + 2 − 3)/2 + 1 = 4 ≠ 3, (7 − 3)/2 + 1 = 3
		{8, 4, 2, 1},   // (8 + 2 − 3)/2 + 1 = 4
	} {
		s, p, err := preGeometry(tc.from, tc.to)
		if err != nil || s != tc.stride || p != tc.pad {
			t.Errorf("preGeometry(%d, %d) = %d, %d, %v; want %d, %d", tc.from, tc.to, s, p, err, tc.stride, tc.pad)
		}
	}
	if _, _, err := preGeometry(9, 3); err == nil {
		t.Error("preGeometry(9, 3) accepted a side no 3×3 conv of stride ≤ 2 produces")
	}
}

// TestDerive builds a one-cell network by hand: on 8×8×1 images, stem 4 channels (no pool); t1 =
// conv3x3(xp) at width 4, t2 empty, t3 = id(t1) + conv5x5(xpp) at width 8, so t3 projects t1 up to 8
// with a 1×1 conv before the add; then the pool (8 → 4) and the classifier on 4·4·8.
func TestDerive(t *testing.T) {
	cfg := tinyConfig(t)
	z := OpZero
	g := &Genotype{Ops: [][]string{{OpConv3x3, z, z, z, z, OpConv3x3, OpIdentity, z, OpConv5x5}}}
	w := Widths{"c1.xp_pre": 6, "c1.xpp_pre": 5, "c1.xp-t1.conv3x3": 4, "c1.xpp-t3.conv5x5": 8}
	net, err := Derive(cfg, arch.Shape{H: 8, W: 8, C: 1}, 10, g, w)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		name, op string
		inputs   string
		channels int
	}
	want := []row{
		{"stem", arch.OpConv, "input", 4},
		{"c1.xp_pre", arch.OpConv, "stem", 6},
		{"c1.xpp_pre", arch.OpConv, "stem", 5},
		{"c1.xp-t1.conv3x3", arch.OpConv, "c1.xp_pre", 4},
		{"c1.xpp-t3.conv5x5", arch.OpConv, "c1.xpp_pre", 8},
		{"c1.t3.proj0", arch.OpConv, "c1.xp-t1.conv3x3", 8},
		{"c1.t3", arch.OpAdd, "c1.t3.proj0,c1.xpp-t3.conv5x5", 0},
		{"c1.pool", arch.OpMaxPool, "c1.t3", 0},
		{"classifier", arch.OpDense, "c1.pool", 10},
	}
	if len(net.Nodes) != len(want) {
		t.Fatalf("%d nodes, want %d: %+v", len(net.Nodes), len(want), net.Nodes)
	}
	for i, nd := range net.Nodes {
		got := row{nd.Name, nd.Op, strings.Join(nd.Inputs, ","), nd.Channels}
		if got != want[i] {
			t.Errorf("node %d: %+v, want %+v", i, got, want[i])
		}
	}
	if n := net.Nodes[4]; n.Cell != "c1" || n.Edge != "xpp-t3" || n.Kernel != 5 || !n.BN || n.Act != arch.ActReLU {
		t.Errorf("edge node %+v: want cell c1, edge xpp-t3, 5×5, BN + ReLU", n)
	}
	shapes, err := net.Infer()
	if err != nil {
		t.Fatal(err)
	}
	if s := shapes["c1.pool"]; s != (arch.Shape{H: 4, W: 4, C: 8}) {
		t.Errorf("cell output %v, want 4×4×8", s)
	}
}

func TestGenotypeFromAlphasKeepsTheCellOutputAlive(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.Ops = []string{OpConv3x3, OpZero}
	alphas := make([][]float64, len(Edges))
	for j := range alphas {
		alphas[j] = []float64{0, 1} // zero wins everywhere
	}
	alphas[0] = []float64{1, 0} // except xp→t1
	g, err := GenotypeFromAlphas(cfg, [][][]float64{alphas})
	if err != nil {
		t.Fatal(err)
	}
	// Argmax leaves t3 with only zero inputs; xp→t3 (edge 7) falls back to its best non-zero op.
	want := []string{OpConv3x3, OpZero, OpZero, OpZero, OpZero, OpZero, OpZero, OpConv3x3, OpZero}
	if !slices.Equal(g.Ops[0], want) {
		t.Errorf("genotype %v, want %v", g.Ops[0], want)
	}
}

// TestGenotypeFromAlphasExcludeZero: where zero has the largest logit the reference's rule keeps it;
// DARTS' rule (ExcludeZero) takes the edge's best non-zero op instead, and leaves other edges alone.
func TestGenotypeFromAlphasExcludeZero(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.Ops = []string{OpConv3x3, OpSep3x3, OpZero}
	alphas := make([][]float64, len(Edges))
	for j := range alphas {
		alphas[j] = []float64{0.5, 0.2, 0.1} // conv3x3 wins
	}
	alphas[1] = []float64{0.1, 0.3, 0.9} // zero, then sep3x3
	alphas[4] = []float64{0.4, 0.2, 0.5} // zero, then conv3x3
	for _, c := range []struct {
		exclude bool
		e1, e4  string
	}{{false, OpZero, OpZero}, {true, OpSep3x3, OpConv3x3}} {
		cfg.ExcludeZero = c.exclude
		g, err := GenotypeFromAlphas(cfg, [][][]float64{alphas})
		if err != nil {
			t.Fatal(err)
		}
		want := slices.Repeat([]string{OpConv3x3}, len(Edges))
		want[1], want[4] = c.e1, c.e4
		if !slices.Equal(g.Ops[0], want) {
			t.Errorf("exclude zero %v: genotype %v, want %v", c.exclude, g.Ops[0], want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, name := range Presets {
		c, err := Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("preset %s: %v", name, err)
		}
	}
	c, _ := Preset("cifar10")
	if len(c.Channels) != 28 || c.Channels[0] != 64 || c.Channels[27] != 280 {
		t.Errorf("cifar10 channels %v, want 64..280 step 8 (28 options)", c.Channels)
	}
	for _, tc := range []struct {
		field string
		edit  func(*Config)
	}{
		{"pool", func(c *Config) { c.Pool = c.Pool[:1] }},
		{"channels", func(c *Config) { c.Channels = []int{16, 8} }},
		{"ops", func(c *Config) { c.Ops = []string{"conv7x7"} }},
		{"cost", func(c *Config) { c.Cost = "tpu" }},
		{"weight_fraction", func(c *Config) { c.WeightFraction = 1 }},
		{"lambda", func(c *Config) { c.Lambda = math.Inf(1) }},
		{"alpha_init_std", func(c *Config) { c.AlphaInitStd = -1 }},
		{"warmup_epochs", func(c *Config) { c.WarmupEpochs = -1 }},
		{"warmup_epochs", func(c *Config) { c.WarmupEpochs = c.EpochsMicro }},
		{"warmup_epochs", func(c *Config) { c.EpochsMicro, c.WarmupEpochs = 9, c.EpochsChannel }},
	} {
		c, _ := Preset("demo")
		tc.edit(c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `"`+tc.field+`"`) {
			t.Errorf("edit of %s: error %v, want one naming the field", tc.field, err)
		}
	}
	c.WithChannelRange(64, 32, 8)
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `"channels"`) {
		t.Errorf("an empty channel range: error %v, want one naming the field", err)
	}
	c.WithChannelRange(16, 40, 8).WithCost("flops", 0.5, 0).WithEpochs(2, 4).WithSeed(9)
	if !slices.Equal(c.Channels, []int{16, 24, 32, 40}) || c.Cost != "flops" || c.Lambda != 0.5 || c.EpochsChannel != 4 || c.Seed != 9 {
		t.Errorf("setters gave %+v", c)
	}
	// τ: 1, 0.95, 0.9025 (PAPER.md §2.3).
	if got := c.tauAt(2); got != 0.95*0.95 {
		t.Errorf("tau at epoch 3 = %v, want 0.9025", got)
	}
}
