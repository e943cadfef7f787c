package main

import (
	"encoding/json"
	"math"
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

// TestBenchStepArch: `bench step --model arch --arch FILE` times uboost train's step of the file's
// network at train's batch (128) unless --batch is given, with finite losses that the SGD steps
// change, and names a missing or broken file, or --arch without --model arch, in one line.
func TestBenchStepArch(t *testing.T) {
	archPath := writeFile(t, "tiny.json", tinyArch)
	var res struct {
		Model  string    `json:"model"`
		Batch  int       `json:"batch"`
		Steps  int       `json:"steps"`
		Losses []float64 `json:"losses"`
	}
	for _, c := range []struct {
		args  []string
		batch int
	}{{nil, 128}, {[]string{"--batch", "8"}, 8}} {
		args := append([]string{"bench", "step", "--model", "arch", "--arch", archPath, "--steps", "2", "--threads", "1", "--json"}, c.args...)
		stdout, stderr, ok := run(t, args...)
		if !ok {
			t.Fatalf("bench step %v failed: %s", c.args, stderr)
		}
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, stdout)
		}
		if res.Model != "arch tiny" || res.Batch != c.batch || res.Steps != 2 || len(res.Losses) != 3 {
			t.Fatalf("result = %+v, want model \"arch tiny\", batch %d, 2 timed steps and 3 losses", res, c.batch)
		}
		for _, l := range res.Losses {
			if math.IsNaN(l) || math.IsInf(l, 0) || l <= 0 {
				t.Fatalf("losses %v: want finite and positive", res.Losses)
			}
		}
		if res.Losses[0] == res.Losses[2] {
			t.Errorf("losses %v: three SGD steps on one batch left the loss unchanged", res.Losses)
		}
	}
	broken := writeFile(t, "broken.json", `{"format": "uboost-arch/v1", "name": `)
	expectOneLineError(t, `^uboost: bench: --model arch needs --arch FILE`, "bench", "step", "--model", "arch")
	expectOneLineError(t, `^uboost: flag --arch: only with --model arch`, "bench", "step", "--arch", archPath)
	expectOneLineError(t, `^uboost: open .*missing.json: no such file`, "bench", "step", "--model", "arch", "--arch", "missing.json")
	expectOneLineError(t, `^uboost: .*broken.json: .*JSON`, "bench", "step", "--model", "arch", "--arch", broken)
	expectOneLineError(t, `^uboost: bench: --batch 0: want at least 1`, "bench", "step", "--model", "arch", "--arch", archPath, "--batch", "0")
}
