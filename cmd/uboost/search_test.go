package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/uboost/uboost/accel"
)

// TestSearchStages runs both stages on the built-in data with two batches per epoch, then prices the
// result with estimate, and checks the errors of bad invocations.
func TestSearchStages(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	quick := []string{"--out", out, "--epochs-micro", "1", "--epochs-channel", "1", "--steps-per-epoch", "2", "--search-batch", "8"}
	if _, stderr, ok := run(t, append([]string{"search", "--stage", "channel"}, quick...)...); ok || !strings.Contains(stderr, "micro stage") {
		t.Errorf("channel stage without a micro stage: ok=%v, stderr %q", ok, stderr)
	}
	stdout, stderr, ok := run(t, append([]string{"search", "--stage", "micro"}, quick...)...)
	if !ok || !strings.Contains(stdout, "searched network") || !strings.Contains(stderr, "micro") || !strings.Contains(stderr, "ETA") {
		t.Fatalf("search --stage micro failed: %s\n%s", stdout, stderr)
	}
	stdout, stderr, ok = run(t, append([]string{"search", "--stage", "channel", "--json", "--objective", "energy", "--lambda", "0.01"}, quick...)...)
	if !ok {
		t.Fatalf("search --stage channel failed: %s", stderr)
	}
	var doc struct {
		Stage  string         `json:"stage"`
		Arch   string         `json:"arch"`
		Widths map[string]int `json:"widths"`
		Total  struct {
			LatencyMs float64 `json:"latency_ms"`
			EnergyUJ  float64 `json:"energy_uj"`
			EDP       float64 `json:"edp"`
		} `json:"total"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || doc.Stage != "channel" || len(doc.Widths) == 0 ||
		!(doc.Total.LatencyMs > 0) || !(doc.Total.EnergyUJ > 0) || doc.Total.EDP != doc.Total.EnergyUJ*doc.Total.LatencyMs {
		t.Fatalf("--json document %q (%v)", stdout, err)
	}
	if _, stderr, ok := run(t, "estimate", "--arch", doc.Arch); !ok {
		t.Errorf("estimate does not read the searched arch.json: %s", stderr)
	}
	if _, stderr, ok := run(t, append([]string{"search", "--stage", "micro"}, quick...)...); ok || !strings.Contains(stderr, "resume") {
		t.Errorf("re-running into a used --out without --resume: ok=%v, stderr %q", ok, stderr)
	}
	for _, bad := range [][]string{{"--stage", "macro"}, {"--cost", "tpu"}, {"--preset", "cifar11"}, {"--ceil", "floor"}, {"--objective", "power"}} {
		if _, stderr, ok := run(t, append([]string{"search"}, append(bad, "--out", t.TempDir())...)...); ok || !strings.HasPrefix(stderr, "uboost: ") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("search %v: ok=%v, stderr %q; want one error line", bad, ok, stderr)
		}
	}
}

// TestSearchAblationFlags: --alpha-init-std, --exclude-zero, --warmup-epochs, --turn-lr-scale, --array-halving, --array-halving-to and --array-halving-from reach
// the stage's config.json and arch.json's search block, and impossible values are one-line errors naming the field.
func TestSearchAblationFlags(t *testing.T) {
	out := t.TempDir()
	args := []string{"search", "--stage", "micro", "--epochs-micro", "2", "--steps-per-epoch", "2", "--search-batch", "8",
		"--alpha-init-std", "0.5", "--exclude-zero", "--warmup-epochs", "1", "--out", out}
	if _, stderr, ok := run(t, args...); !ok {
		t.Fatalf("search with the ablation flags failed: %s", stderr)
	}
	cfg := readJSON(t, filepath.Join(out, "micro", "config.json"))
	net := readJSON(t, filepath.Join(out, "micro", "arch.json"))
	for key, want := range map[string]any{"alpha_init_std": 0.5, "exclude_zero": true, "warmup_epochs": 1.0} {
		if got := field(cfg, key); got != want {
			t.Errorf("config.json %s = %v, want %v", key, got, want)
		}
		if got := field(net, "search", key); got != want {
			t.Errorf("arch.json search.%s = %v, want %v", key, got, want)
		}
	}
	expectOneLineError(t, `"warmup_epochs"`, "search", "--stage", "micro", "--epochs-micro", "2", "--warmup-epochs", "2", "--out", t.TempDir())
	expectOneLineError(t, `"alpha_init_std"`, "search", "--stage", "micro", "--alpha-init-std", "-0.1", "--out", t.TempDir())

	turns := t.TempDir()
	if _, stderr, ok := run(t, "search", "--stage", "micro", "--epochs-micro", "1", "--steps-per-epoch", "2", "--search-batch", "8",
		"--arrays", "16x64,32x32", "--widths-per-array", "--array-turns", "--turn-lr-scale", "2", "--array-halving", "--array-halving-to", "1", "--array-halving-from", "micro", "--out", turns); !ok {
		t.Fatalf("search with --turn-lr-scale failed: %s", stderr)
	}
	if got := field(readJSON(t, filepath.Join(turns, "micro", "config.json")), "turn_lr_scale"); got != 2.0 {
		t.Errorf("config.json turn_lr_scale = %v, want 2", got)
	}
	if got := field(readJSON(t, filepath.Join(turns, "micro", "arch.json")), "search", "turn_lr_scale"); got != 2.0 {
		t.Errorf("arch.json search.turn_lr_scale = %v, want 2", got)
	}
	if got := field(readJSON(t, filepath.Join(turns, "micro", "config.json")), "array_halving"); got != true {
		t.Errorf("config.json array_halving = %v, want true", got)
	}
	if got := field(readJSON(t, filepath.Join(turns, "micro", "arch.json")), "search", "array_halving"); got != true {
		t.Errorf("arch.json search.array_halving = %v, want true", got)
	}
	if got := field(readJSON(t, filepath.Join(turns, "micro", "config.json")), "array_halving_to"); got != 1.0 {
		t.Errorf("config.json array_halving_to = %v, want 1", got)
	}
	if got := field(readJSON(t, filepath.Join(turns, "micro", "arch.json")), "search", "array_halving_from"); got != "micro" {
		t.Errorf("arch.json search.array_halving_from = %v, want micro", got)
	}
	if got := field(readJSON(t, filepath.Join(turns, "micro", "genotype.json")), "arrays_left"); got == nil {
		t.Errorf("genotype.json has no arrays_left after halving from the micro stage")
	}
	expectOneLineError(t, `"array_halving_to"`, "search", "--stage", "micro", "--arrays", "16x64,32x32", "--widths-per-array", "--array-turns", "--array-halving", "--array-halving-to", "2", "--out", t.TempDir())
	expectOneLineError(t, `"array_halving_from"`, "search", "--stage", "micro", "--arrays", "16x64,32x32,64x16", "--array-halving-from", "train", "--out", t.TempDir())
	expectOneLineError(t, `"turn_lr_scale"`, "search", "--stage", "micro", "--arrays", "16x64,32x32", "--widths-per-array", "--array-turns", "--turn-lr-scale", "NaN", "--out", t.TempDir())
}

// TestCodesignDefaults: --arrays alone searches with widths per array, the arrays in turn chosen by
// their objective and, with more than two, halved to two from the micro stage (the twelfth co-design
// test's design); each option left out follows the ones turned off before it; with two arrays there
// is nothing to halve.
func TestCodesignDefaults(t *testing.T) {
	keys := []string{"widths_per_array", "array_turns", "array_choice", "array_halving", "array_halving_to", "array_halving_from"}
	for _, c := range []struct {
		name  string
		flags []string
		want  []any // by keys; nil: absent from config.json
	}{
		{"three arrays", []string{"--arrays", "16x64,32x32,64x16"}, []any{true, true, "objective", true, 2.0, "micro"}},
		{"two arrays", []string{"--arrays", "16x64,32x32"}, []any{true, true, "objective", nil, nil, nil}},
		{"pe budget, halved to one", []string{"--pe-budget", "1024", "--array-halving-to", "1"}, []any{true, true, "objective", true, 1.0, "micro"}},
		{"halving from the channel stage", []string{"--arrays", "16x64,32x32,64x16", "--array-halving-from", "channel"}, []any{true, true, "objective", true, 2.0, "channel"}},
		{"turns off", []string{"--arrays", "16x64,32x32,64x16", "--array-turns=false"}, []any{true, nil, nil, nil, nil, nil}},
		{"shared widths", []string{"--arrays", "16x64,32x32,64x16", "--widths-per-array=false"}, []any{nil, nil, nil, nil, nil, nil}},
		{"loss rule", []string{"--arrays", "16x64,32x32,64x16", "--array-choice", "loss"}, []any{true, true, "loss", true, 2.0, "micro"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			args := append([]string{"search", "--stage", "micro", "--epochs-micro", "1", "--steps-per-epoch", "2", "--search-batch", "8"}, c.flags...)
			if _, stderr, ok := run(t, append(args, "--out", out)...); !ok {
				t.Fatalf("search %v failed: %s", c.flags, stderr)
			}
			cfg := readJSON(t, filepath.Join(out, "micro", "config.json"))
			for i, key := range keys {
				if got := field(cfg, key); got != c.want[i] {
					t.Errorf("config.json %s = %v, want %v", key, got, c.want[i])
				}
			}
		})
	}
}

// TestPEBudgetSplit: --max-arrays adds split designs to --pe-budget's candidates, which the search
// records in config.json as it would named ones; without --pe-budget it is a one-line error.
func TestPEBudgetSplit(t *testing.T) {
	out := t.TempDir()
	if _, stderr, ok := run(t, "search", "--stage", "micro", "--epochs-micro", "1", "--steps-per-epoch", "2", "--search-batch", "8",
		"--pe-budget", "256", "--max-arrays", "4", "--out", out); !ok {
		t.Fatalf("search --pe-budget 256 --max-arrays 4 failed: %s", stderr)
	}
	var cfg struct {
		Arrays []accel.ArrayShape `json:"arrays"`
	}
	data, err := os.ReadFile(filepath.Join(out, "micro", "config.json"))
	if err == nil {
		err = json.Unmarshal(data, &cfg)
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range cfg.Arrays {
		names = append(names, s.String())
	}
	if got, want := strings.Join(names, ","), "8x32,16x16,32x8,2x8x16,2x16x8,4x8x8"; got != want {
		t.Errorf("config.json arrays = %s, want %s", got, want)
	}
	expectOneLineError(t, "--max-arrays", "search", "--stage", "micro", "--max-arrays", "4", "--out", t.TempDir())
	expectOneLineError(t, "--max-arrays", "search", "--stage", "micro", "--pe-budget", "1024", "--max-arrays", "3", "--out", t.TempDir())
}

// TestSearchStagePricesChosenArray: a co-design search stopped before training prices its network on
// the array it chose (arch.json's search.array), as `uboost estimate` does on that array, not on the
// base accelerator (--array, here none of the candidates) the candidates take their other settings from.
func TestSearchStagePricesChosenArray(t *testing.T) {
	out := t.TempDir()
	stdout, stderr, ok := run(t, "search", "--stage", "micro", "--epochs-micro", "1", "--steps-per-epoch", "2", "--search-batch", "8",
		"--array", "128x128", "--arrays", "32x32,4x16x16", "--json", "--out", out)
	if !ok {
		t.Fatalf("co-design micro search failed: %s", stderr)
	}
	var sum map[string]any
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("search --json: %v", err)
	}
	archPath := filepath.Join(out, "arch.json")
	chosen, _ := field(readJSON(t, archPath), "search", "array").(string)
	if chosen == "" {
		t.Fatalf("arch.json has no search.array")
	}
	batch := field(sum, "accelerator", "batch").(float64)
	stdout, stderr, ok = run(t, "estimate", "--arch", archPath, "--array", chosen, "--batch", strconv.Itoa(int(batch)), "--json")
	if !ok {
		t.Fatalf("estimate on the chosen array failed: %s", stderr)
	}
	var want map[string]any
	if err := json.Unmarshal([]byte(stdout), &want); err != nil {
		t.Fatalf("estimate --json: %v", err)
	}
	for _, key := range []string{"cycles", "latency_ms", "utilization", "energy_uj"} {
		if got, w := field(sum, "total", key), field(want, "total", key); got != w {
			t.Errorf("search summary total.%s = %v on %s, want %v (estimate on the chosen %s)", key, got, field(sum, "accelerator"), w, chosen)
		}
	}
	for _, key := range []string{"rows", "cols", "arrays"} {
		if got, w := field(sum, "accelerator", key), field(want, "accelerator", key); got != w {
			t.Errorf("search summary accelerator.%s = %v, want %v (the chosen %s)", key, got, w, chosen)
		}
	}
}

// TestSearchZeroEpochsWarns: a stage of zero epochs is allowed (the network derived from the initial
// logits) but said on stderr, since it is rarely what a user meant.
func TestSearchZeroEpochsWarns(t *testing.T) {
	_, stderr, ok := run(t, "search", "--stage", "micro", "--epochs-micro", "0", "--out", t.TempDir())
	if !ok {
		t.Fatalf("a zero-epoch micro stage failed: %s", stderr)
	}
	if want := "uboost: warning: micro stage: 0 epochs"; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q does not contain %q", stderr, want)
	}
	_, stderr, ok = run(t, "search", "--stage", "micro", "--epochs-micro", "1", "--steps-per-epoch", "2", "--search-batch", "8", "--out", t.TempDir())
	if !ok || strings.Contains(stderr, "0 epochs") {
		t.Errorf("a one-epoch stage: ok %v, stderr %q (want no zero-epoch warning)", ok, stderr)
	}
}
