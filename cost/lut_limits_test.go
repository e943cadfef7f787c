package cost

import (
	"testing"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/arch"
)

// TestLUTUtilizationAtMostOne is finding 4: `estimate --arch vgg16 --model lut` reported 103%
// utilization (cycles of the snapped ≤256-channel entry, MACs of the 512-channel layer). Every layer
// of every zoo network now stays at or below 100%, and a 512→512 layer is priced at exactly the
// MAC-scaled cycles of its 256→256 entry: 4× the MACs, so ⌈4 · entry⌉ cycles.
func TestLUTUtilizationAtMostOne(t *testing.T) {
	for _, name := range arch.ZooNames() {
		net, err := arch.ZooNetwork(name)
		if err != nil {
			t.Fatal(err)
		}
		layers, err := net.Layers()
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewLUT(Systolic()).Estimate(accel.Default(), layers)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range r.Layers {
			if l.Utilization > 1 {
				t.Errorf("%s %s: utilization %.4f > 1", name, l.Name, l.Utilization)
			}
		}
		if r.Total.Utilization > 1 {
			t.Errorf("%s: total utilization %.4f > 1", name, r.Total.Utilization)
		}
	}
	big := conv("c", 16, 512, 512, 3, 1, 1, 14)
	entry := conv("c", 16, 256, 256, 3, 1, 1, 14)
	lut := NewLUT(Systolic())
	re, _ := Systolic().Estimate(accel.Default(), []accel.Layer{entry})
	rb, err := lut.Estimate(accel.Default(), []accel.Layer{big})
	if err != nil {
		t.Fatal(err)
	}
	if want := 4 * re.Total.Cycles; rb.Total.Cycles != want {
		t.Errorf("512→512 layer: %d cycles, want 4 × the 256→256 entry's %d = %d", rb.Total.Cycles, re.Total.Cycles, want)
	}
}
