package main

import (
	"encoding/json"
	"testing"
)

// TestBenchStepSupernet: `bench step --model supernet` times the named preset's supernet at the
// preset's own batch size (demo: 32) unless --batch is given, and rejects a bad preset, stage or
// input with one line.
func TestBenchStepSupernet(t *testing.T) {
	stdout, stderr, ok := run(t, "bench", "step", "--model", "supernet", "--preset", "demo", "--steps", "1", "--threads", "1", "--json")
	if !ok {
		t.Fatalf("bench step failed: %s", stderr)
	}
	var res struct {
		Model           string  `json:"model"`
		Batch           int     `json:"batch"`
		Steps           int     `json:"steps"`
		ImagesPerSecond float64 `json:"images_per_second"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout)
	}
	if res.Model != "supernet demo micro" || res.Batch != 32 || res.Steps != 1 || res.ImagesPerSecond <= 0 {
		t.Errorf("result = %+v, want model \"supernet demo micro\", the demo preset's batch 32, 1 step, images/s > 0", res)
	}
	for _, c := range []struct{ name, flag, value, want string }{
		{"unknown preset", "--preset", "nope", `^uboost: bench: --preset: unknown preset "nope"`},
		{"bad stage", "--stage", "macro", `^uboost: bench: --stage "macro": want micro or channel`},
		{"bad input", "--input", "28x28", `^uboost: invalid argument "28x28" for "--input" flag: .*HxWxC`},
	} {
		t.Run(c.name, func(t *testing.T) {
			expectOneLineError(t, c.want, "bench", "step", "--model", "supernet", c.flag, c.value, "--steps", "1")
		})
	}
}
