package stepbench

import "testing"

// TestProbeTrains runs a tiny probe (batch 4, 8 channels) for three steps: the step must run end to
// end on the engine and produce finite, changing losses.
func TestProbeTrains(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Batch, cfg.Channels, cfg.Steps = 4, 8, 3
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Losses) != 4 || res.SecondsPerStep <= 0 || res.ImagesPerSecond <= 0 {
		t.Fatalf("unexpected result %+v", res)
	}
	for _, l := range res.Losses {
		if l != l || l <= 0 {
			t.Fatalf("loss %v not finite positive: %v", l, res.Losses)
		}
	}
	if res.Losses[0] == res.Losses[3] {
		t.Errorf("loss did not change over 3 steps: %v", res.Losses)
	}
}

// BenchmarkProbeStep times the setting (batch 64, 32 channels) through Run, reporting the
// median step; `uboost bench step` prints the same figure with more detail.
func BenchmarkProbeStep(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Steps = max(b.N, 3)
	b.ResetTimer()
	res, err := Run(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.SecondsPerStep, "s/step")
	b.ReportMetric(res.ImagesPerSecond, "images/s")
	b.ReportMetric(res.PeakRSSMB, "peak-RSS-MB")
}
