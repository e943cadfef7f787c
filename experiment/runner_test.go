package experiment

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestMain lets the test binary stand in for `uboost search`: with UBOOST_FAKE_SEARCH=1 it records
// its arguments in --out/args.txt and then
//   - cost lut without --resume: leaves a checkpoint and crashes (exit 3), as a killed run would;
//   - cost roofline: exits cleanly without result.json (a broken search);
//   - otherwise: writes a result.json.
func TestMain(m *testing.M) {
	if os.Getenv("UBOOST_FAKE_SEARCH") != "1" {
		os.Exit(m.Run())
	}
	args := os.Args[1:]
	flag := func(name string) string {
		if i := slices.Index(args, name); i >= 0 && i+1 < len(args) {
			return args[i+1]
		}
		return ""
	}
	out, model := flag("--out"), flag("--cost")
	resume := slices.Contains(args, "--resume")
	f, err := os.OpenFile(filepath.Join(out, "args.txt"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		os.Exit(2)
	}
	fmt.Fprintln(f, strings.Join(args, " "))
	f.Close()
	switch {
	case model == "lut" && !resume:
		os.WriteFile(filepath.Join(out, "checkpoint"), nil, 0o644)
		fmt.Println("crash")
		os.Exit(3)
	case model == "roofline":
		os.Exit(0)
	}
	doc := fmt.Sprintf(`{"test_accuracy": 0.5, "exact": {"latency_ms": 1}, "simulator": {"latency_ms": 2},
		"accelerator": {"cols": 128}, "method": %q, "lambda": %s, "seed": %s}`, model, flag("--lambda"), flag("--seed"))
	os.WriteFile(filepath.Join(out, ResultFile), []byte(doc), 0o644)
	os.Exit(0)
}

func TestRunnerResumes(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("UBOOST_FAKE_SEARCH", "1")
	dir := t.TempDir()
	jobs, err := Plan{Preset: "demo", Methods: []string{UBoost, "lut", "roofline"}, Lambdas: []float64{1}, Seeds: 1, Beta: 1}.Jobs()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var events []string
	r := &Runner{Exe: exe, Dir: dir, Preset: "demo", Jobs: 2, Threads: 1, SearchArgs: []string{"--epochs-micro", "1"},
		Progress: func(e Event) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, fmt.Sprintf("%s %s resumed=%v %d/%d", e.Job.Name(), e.Kind, e.Resumed, e.Finished, e.Total))
			if e.Kind == Done && e.ETA < 0 {
				t.Errorf("negative ETA %v", e.ETA)
			}
		}}
	// First pass: U-Boost finishes, lut crashes after its checkpoint, roofline writes no result.
	err = r.Run(context.Background(), jobs)
	if err == nil || !strings.Contains(err.Error(), "lut-l1-s0: search failed") ||
		!strings.Contains(err.Error(), "roofline-l1-s0: search exited without writing result.json") {
		t.Fatalf("first pass error = %v", err)
	}
	if log, _ := os.ReadFile(filepath.Join(dir, "runs", "lut-l1-s0", LogFile)); string(log) != "crash\n" {
		t.Errorf("lut run.log = %q, want the process's output", log)
	}
	// Second pass: U-Boost is skipped, lut continues with --resume and finishes, roofline (its
	// directory no longer empty, so also continued) fails again.
	events = nil
	err = r.Run(context.Background(), jobs)
	if err == nil || strings.Contains(err.Error(), "lut") {
		t.Fatalf("second pass error = %v, want only roofline's", err)
	}
	slices.Sort(events)
	want := []string{
		"lut-l1-s0 done resumed=false 2/3", "lut-l1-s0 started resumed=true 1/3",
		"roofline-l1-s0 failed resumed=false 3/3", "roofline-l1-s0 started resumed=true 1/3",
		"uboost-l1-s0 skipped resumed=false 1/3",
	}
	// Which of lut and roofline ends first is up to the scheduler; compare without the counts there.
	strip := func(xs []string) []string {
		out := make([]string, len(xs))
		for i, x := range xs {
			out[i] = x[:strings.LastIndex(x, " ")]
		}
		return out
	}
	if !slices.Equal(strip(events), strip(want)) {
		t.Errorf("events = %q, want %q", events, want)
	}
	args, _ := os.ReadFile(filepath.Join(dir, "runs", "lut-l1-s0", "args.txt"))
	lines := strings.Split(strings.TrimSpace(string(args)), "\n")
	lutDir := filepath.Join(dir, "runs", "lut-l1-s0")
	wantArgs := []string{
		"search --preset demo --protocol uboost --cost lut --lambda 1 --beta 0 --seed 0 --out " + lutDir + " --threads 1 --epochs-micro 1",
		"search --preset demo --protocol uboost --cost lut --lambda 1 --beta 0 --seed 0 --out " + lutDir + " --threads 1 --resume --epochs-micro 1",
	}
	if !slices.Equal(lines, wantArgs) {
		t.Errorf("lut invocations = %q, want %q", lines, wantArgs)
	}
	runs, err := Collect(dir)
	if err != nil || len(runs) != 2 || runs[0].Method != "lut" || runs[1].Method != UBoost {
		t.Errorf("Collect = %+v, %v; want the lut and uboost runs", runs, err)
	}
}
