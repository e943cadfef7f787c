package search

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/uboost/uboost/accel"
)

// answerConfig is a one-cell search whose hardware term dominates: λ so large that the cross-entropy
// barely matters, half of each epoch's 10 batches updating the architecture.
func answerConfig(t *testing.T, model string) *Config {
	c := tinyConfig(t)
	c.Cost, c.Lambda, c.Beta = model, 1e6, 0
	c.StemChannels, c.Width = 16, 16
	c.WeightFraction, c.StepsPerEpoch, c.EpochsMicro, c.EpochsChannel, c.ArchLR = 0.5, 10, 3, 3, 0.3
	return c
}

// TestMicroPrefersWhatTheArrayRunsFaster: on a 128×128 array (batch 1, 8×8 maps, 16 channels) a dense
// 3×3 conv is one GEMM [64 × 144]·[144 × 16]: ⌈144/128⌉·⌈16/128⌉·64 = 128 cycles. A separable 3×3 is 16
// depthwise GEMMs [64 × 9]·[9 × 1] (16·64 = 1024 cycles) plus a 1×1 conv (64 cycles): 1088 cycles,
// 8.5× slower, although it has 25600 MACs to the dense conv's 147456. So --cost systolic must keep
// conv3x3 on every edge, and --cost flops (MACs / 16384: 1.6 vs 9 cycles) must pick sep3x3.
func TestMicroPrefersWhatTheArrayRunsFaster(t *testing.T) {
	ds := fixture(t, 80, 8)
	for _, tc := range []struct {
		model string
		want  string
	}{{"systolic", OpConv3x3}, {"flops", OpSep3x3}} {
		t.Run(string(tc.model), func(t *testing.T) {
			cfg := answerConfig(t, tc.model)
			cfg.Ops = []string{OpConv3x3, OpSep3x3}
			cfg.Accel = accel.New(128, 128).WithBatch(1)
			res, err := RunMicro(cfg, ds.Train, filepath.Join(t.TempDir(), "micro"), RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for j, op := range res.Genotype.Ops[0] {
				if op != tc.want {
					t.Errorf("edge %s: picked %s, want %s (alphas %v)", Edges[j].Name(), op, tc.want, res.Alphas[0][j])
				}
			}
		})
	}
}

// TestChannelPrefersMultiplesOfTheArray: on a 1024×8 array every K fits in one row tile, so a layer's
// cycles are ⌈f/8⌉·M: width 9 and width 16 both take 2 column tiles, width 17 takes 3. With β > 0 the
// systolic search must pick 16 (same latency as 9, 16/16 of the columns busy instead of 9/16), never
// 17; --cost flops prices MACs only (utilization constant 1) and must pick the narrowest, 9.
func TestChannelPrefersMultiplesOfTheArray(t *testing.T) {
	ds := fixture(t, 80, 8)
	ops := slices.Repeat([]string{OpConv3x3}, len(Edges))
	for _, tc := range []struct {
		model string
		want  int
	}{{"systolic", 16}, {"flops", 9}} {
		t.Run(string(tc.model), func(t *testing.T) {
			cfg := answerConfig(t, tc.model)
			cfg.Channels, cfg.Beta, cfg.EpochsChannel = []int{9, 16, 17}, 1000, 5
			cfg.Accel = accel.New(1024, 8).WithBatch(1)
			res, err := RunChannel(cfg, ds.Train, &Genotype{Ops: [][]string{ops}}, filepath.Join(t.TempDir(), "channel"), RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Widths) != 11 {
				t.Errorf("searched %d layers, want 11 (2 pre-convs, 9 edges)", len(res.Widths))
			}
			for name, w := range res.Widths {
				if w != tc.want {
					t.Errorf("%s: width %d, want %d (logits %v)", name, w, tc.want, res.Logits[name])
				}
			}
		})
	}
}
