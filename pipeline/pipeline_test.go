package pipeline

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/internal/jsonfile"
	"github.com/uboost/uboost/search"
	"github.com/uboost/uboost/sim"
)

// TestMeasure: the result prices the network at batch 1 on the search's array (not at the search's
// hardware batch), with the exact model's and the simulator's figures, and carries the search's identity.
func TestMeasure(t *testing.T) {
	net, err := arch.Load("../examples/smallcnn.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := search.Preset("demo")
	if err != nil {
		t.Fatal(err)
	}
	cfg.WithAccelerator(accel.New(32, 64).WithBatch(64)).WithCost("flops", 0.5, 0)
	res, reports, err := Measure(cfg, sim.Options{}, net)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accelerator.Batch != 1 || res.Accelerator.Rows != 32 || res.Accelerator.Cols != 64 || cfg.Accel.Batch != 64 {
		t.Errorf("measured on %v (search accelerator now %v), want 32x64 at batch 1, search's untouched", res.Accelerator, cfg.Accel)
	}
	layers, _ := net.Layers()
	want, err := cost.Systolic().Estimate(accel.New(32, 64), layers)
	if err != nil {
		t.Fatal(err)
	}
	if res.Exact.Cycles != want.Total.Cycles || res.Exact.Utilization != want.Total.Utilization || reports[0].Total.Cycles != want.Total.Cycles {
		t.Errorf("exact %+v, want %d cycles at %g", res.Exact, want.Total.Cycles, want.Total.Utilization)
	}
	if res.Simulator.Cycles < res.Exact.Cycles || reports[1].Model != "simulator" {
		t.Errorf("simulator %d cycles below the exact model's %d", res.Simulator.Cycles, res.Exact.Cycles)
	}
	if res.Method != "flops" || res.Lambda != 0.5 || res.Beta != 0 || res.Preset != "demo" {
		t.Errorf("identity %q λ=%g β=%g %q", res.Method, res.Lambda, res.Beta, res.Preset)
	}
}

func TestSearchedWidthsInNameOrder(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, ChannelDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := jsonfile.Write(filepath.Join(dir, ChannelDir, search.WidthsFile), search.Widths{"c2.xp_pre": 40, "c1.xp_pre": 48, "c1.t1": 16}); err != nil {
		t.Fatal(err)
	}
	net := &arch.Network{Nodes: []arch.Node{{Name: "stem"}, {Name: "c2.xp_pre"}, {Name: "c1.xp_pre"}, {Name: "c1.t1"}}}
	got, err := searchedWidths(dir, net)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != 16 || got[1] != 48 || got[2] != 40 {
		t.Errorf("widths = %v, want [16 48 40] (c1.t1, c1.xp_pre, c2.xp_pre)", got)
	}
	// A layer Derive pruned (cell 1 dead) was searched but is not in the network: its width is left out.
	net.Nodes = []arch.Node{{Name: "stem"}, {Name: "c2.xp_pre"}}
	if got, err = searchedWidths(dir, net); err != nil || len(got) != 1 || got[0] != 40 {
		t.Errorf("widths of the pruned network = %v, %v; want [40]", got, err)
	}
}

func TestTrainPreset(t *testing.T) {
	for name, epochs := range map[string]int{"demo": 8, "edge": 8, "cifar10": 100, "imagenet100": 70} {
		c, err := TrainPreset(name)
		if err != nil || c.Epochs != epochs || c.ValFraction != 0.1 || c.Validate() != nil {
			t.Errorf("TrainPreset(%s) = %+v, %v", name, c, err)
		}
	}
	if _, err := TrainPreset("mnist"); err == nil {
		t.Error("unknown preset accepted")
	}
}

// TestEdgePreset pins the miniature of docs/MINIATURE.md: the paper's CIFAR-10 widths, 64..280 step 8 on
// 128 columns, scaled by four onto a 32×32 array — 28 options from half a tile to 2.19 tiles in steps
// of 1/16 tile — on the first 20,000 Fashion-MNIST training images.
func TestEdgePreset(t *testing.T) {
	c, err := Preset("edge")
	if err != nil {
		t.Fatal(err)
	}
	s := c.Search
	a := s.Accel
	if a.Rows != 32 || a.Cols != 32 || a.Batch != 64 || s.StemChannels != 32 || s.Width != 32 || s.Cells != 3 {
		t.Errorf("edge: array %dx%d batch %d, stem %d, width %d, cells %d; want 32x32, 64, 32, 32, 3",
			a.Rows, a.Cols, a.Batch, s.StemChannels, s.Width, s.Cells)
	}
	ch := s.Channels
	if len(ch) != 28 || ch[0] != a.Cols/2 || ch[1]-ch[0] != a.Cols/16 || float64(ch[27])/float64(a.Cols) != 70.0/32 {
		t.Errorf("edge widths %v: want 28 options from C/2 in steps of C/16", ch)
	}
	// 100 architecture steps per stage: 20% of 50 batches, 10 epochs.
	if archSteps := float64(s.EpochsMicro*s.StepsPerEpoch) * (1 - s.WeightFraction); archSteps < 99.5 || archSteps > 100.5 {
		t.Errorf("edge: %g architecture steps per micro stage, want 100", archSteps)
	}
	if c.Data != "fashion-mnist" || c.TrainLimit != 20000 || c.Train.Epochs != 8 {
		t.Errorf("edge: data %q, limit %d, %d epochs; want fashion-mnist, 20000, 8", c.Data, c.TrainLimit, c.Train.Epochs)
	}
	if err := s.Validate(); err != nil {
		t.Error(err)
	}
	if d, err := Preset("demo"); err != nil || d.Data != "builtin" || d.TrainLimit != 0 {
		t.Errorf("demo: %+v, %v", d, err)
	}
	if c, err := Preset("cifar10"); err != nil || c.Data != "" {
		t.Errorf("cifar10 has no default data: %+v, %v", c, err)
	}
}

// TestChosenArray reads the array a co-design search recorded in arch.json: one array, several
// arrays sharing the memory, none (not a co-design), and a malformed one named by its field.
func TestChosenArray(t *testing.T) {
	for _, c := range []struct {
		recorded any
		want     *search.ArrayShape
		err      string
	}{
		{"64x16", &search.ArrayShape{Rows: 64, Cols: 16}, ""},
		{"4x16x16", &search.ArrayShape{Rows: 16, Cols: 16, Arrays: 4}, ""},
		{nil, nil, ""},
		{"4x16x16x2", nil, `search field "array": `},
	} {
		net := &arch.Network{Search: map[string]any{}}
		if c.recorded != nil {
			net.Search[search.ArrayKey] = c.recorded
		}
		got, err := chosenArray(net)
		if c.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), c.err) {
				t.Errorf("%v: error %v, want %q", c.recorded, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v: %+v, %v; want %+v", c.recorded, got, err, c.want)
		}
	}
}
