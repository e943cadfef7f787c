package main

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tinyRun are the search and training flags that keep an end-to-end run to seconds: one epoch of two
// batches per search stage, one training epoch on 256 images.
var tinyRun = []string{"--epochs-micro", "1", "--epochs-channel", "1", "--steps-per-epoch", "2",
	"--train-epochs", "1", "--limit-train", "256", "--seed", "1", "--threads", "2"}

// readJSON decodes a JSON file into a generic document.
func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc
}

// field walks a decoded JSON document along keys.
func field(doc map[string]any, keys ...string) any {
	var v any = doc
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// TestSearchPaperProtocol runs `search --protocol paper --preset demo` end to end with the paper's
// Blackbox and checks that result.json and arch.json record the protocol and the values it resolved,
// that an explicit flag (--train-clip) wins over the protocol, and that latency is measured with the
// reference schedule with the default schedule's figure kept beside it.
func TestSearchPaperProtocol(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real search with training")
	}
	dir := t.TempDir()
	args := append([]string{"search", "--protocol", "paper", "--preset", "demo", "--cost", "blackbox", "--beta", "0",
		"--train-clip", "2", "--out", dir}, tinyRun...)
	if _, stderr, ok := run(t, args...); !ok {
		t.Fatalf("search --protocol paper failed: %s", stderr)
	}
	res := readJSON(t, filepath.Join(dir, "result.json"))
	for _, c := range []struct {
		keys []string
		want any
	}{
		{[]string{"protocol"}, "paper"},
		{[]string{"method"}, "blackbox"},
		{[]string{"settings", "search", "ceil"}, "paper"},
		{[]string{"settings", "search", "width_cost"}, "reference"},
		{[]string{"settings", "search", "aggregation"}, "reference"},
		{[]string{"settings", "search", "shared_gumbel"}, true},
		{[]string{"settings", "train", "warmup"}, 0.1},
		{[]string{"settings", "train", "clip_norm"}, 2.0}, // the explicit flag, not the protocol's 0.5
		{[]string{"settings", "train", "weight_decay_all"}, true},
		{[]string{"settings", "sim", "overlap_folds"}, true},
	} {
		if got := field(res, c.keys...); got != c.want {
			t.Errorf("result.json %s = %v, want %v", strings.Join(c.keys, "."), got, c.want)
		}
	}
	sim, dflt := field(res, "simulator", "cycles"), field(res, "simulator_default_schedule", "cycles")
	if s, ok := sim.(float64); !ok || !(s > 0) {
		t.Errorf("simulator cycles %v", sim)
	} else if d, ok := dflt.(float64); !ok || !(d > s) {
		t.Errorf("default schedule %v cycles, reference schedule %v: want the default's figure kept, and larger", dflt, sim)
	}
	net := readJSON(t, filepath.Join(dir, "arch.json"))
	if got := field(net, "search", "protocol"); got != "paper" {
		t.Errorf("arch.json search.protocol = %v, want paper", got)
	}
}

// writeCIFAR100 writes a CIFAR-100 binary folder with n training and m test records of random pixels
// and labels, the format data.ReadCIFAR reads.
func writeCIFAR100(t *testing.T, n, m int) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	for name, count := range map[string]int{"train.bin": n, "test.bin": m} {
		var b []byte
		for range count {
			b = append(b, byte(rng.IntN(20)), byte(rng.IntN(100)))
			for range 3 * 1024 {
				b = append(b, byte(rng.IntN(256)))
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestSearchDataTransfer searches on the built-in 28×28×1, 10-class data and trains and evaluates on a
// 32×32×3, 100-class CIFAR-100 fixture: the network must be derived for the training data.
func TestSearchDataTransfer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real search with training")
	}
	dir := t.TempDir()
	cifar := writeCIFAR100(t, 300, 60)
	args := append([]string{"search", "--search-data", "builtin", "--data", "cifar100:" + cifar, "--out", dir}, tinyRun...)
	if _, stderr, ok := run(t, args...); !ok {
		t.Fatalf("search --search-data failed: %s", stderr)
	}
	net := readJSON(t, filepath.Join(dir, "arch.json"))
	in := field(net, "input")
	if got, want := in, map[string]any{"h": 32.0, "w": 32.0, "c": 3.0}; !jsonEqual(got, want) {
		t.Errorf("arch.json input = %v, want %v", got, want)
	}
	if got := field(net, "classes"); got != 100.0 {
		t.Errorf("arch.json classes = %v, want 100", got)
	}
	if got := field(net, "search", "search_data"); got != "builtin" {
		t.Errorf("arch.json search.search_data = %v, want builtin", got)
	}
	micro := readJSON(t, filepath.Join(dir, "micro", "arch.json"))
	if got := field(micro, "classes"); got != 10.0 {
		t.Errorf("the search's own network has %v classes, want the search data's 10", got)
	}
	res := readJSON(t, filepath.Join(dir, "result.json"))
	if acc, ok := field(res, "test_accuracy").(float64); !ok || acc < 0 || acc > 1 {
		t.Errorf("test_accuracy = %v", field(res, "test_accuracy"))
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestExperimentBothProtocols runs a tiny `experiment --protocol both` (U-Boost and the lookup-table
// baseline, one λ, one seed): two grids, each with its own summary and report, the paper's grid
// searching with the Blackbox and the uboost grid with the exact model's table; --report-only rebuilds
// both.
func TestExperimentBothProtocols(t *testing.T) {
	if testing.Short() {
		t.Skip("runs four real searches with training")
	}
	dir := t.TempDir()
	args := []string{"experiment", "--protocol", "both", "--methods", "uboost,lut", "--lambdas", "1", "--seeds", "1",
		"--jobs", "2", "--threads", "1", "--search-args", strings.Join(tinyRun[:len(tinyRun)-4], " "), "--out", dir} // without --seed and --threads, which the experiment sets
	stdout, stderr, ok := run(t, args...)
	if !ok {
		t.Fatalf("experiment --protocol both failed: %s\n%s", stderr, stdout)
	}
	for _, c := range []struct{ proto, lutModel string }{{"paper", "blackbox"}, {"uboost", "lut"}} {
		sub := filepath.Join(dir, c.proto)
		for _, f := range []string{"summary.json", "report.html", "report.md"} {
			if _, err := os.Stat(filepath.Join(sub, f)); err != nil {
				t.Errorf("%s: %v", c.proto, err)
			}
		}
		res := readJSON(t, filepath.Join(sub, "runs", "lut-l1-s0", "result.json"))
		if field(res, "method") != c.lutModel || field(res, "protocol") != c.proto {
			t.Errorf("%s lut run: method %v, protocol %v; want %s, %s", c.proto, field(res, "method"), field(res, "protocol"), c.lutModel, c.proto)
		}
		sum := readJSON(t, filepath.Join(sub, "summary.json"))
		if runs, _ := field(sum, "runs").([]any); len(runs) != 2 {
			t.Errorf("%s summary: %d runs, want 2", c.proto, len(runs))
		}
	}
	if stdout, _, ok := run(t, "experiment", "--protocol", "both", "--report-only", "--out", dir); !ok || strings.Count(stdout, "2 finished runs") != 2 {
		t.Errorf("--report-only --protocol both: %q", stdout)
	}
}
