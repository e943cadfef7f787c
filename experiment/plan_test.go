package experiment

import (
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/protocol"

	"slices"
	"strings"
	"testing"
)

func TestPlanJobs(t *testing.T) {
	jobs, err := Plan{Preset: "demo", Methods: []string{UBoost, "lut"}, Lambdas: []float64{0.1, 5}, Seeds: 2, Beta: 1}.Jobs()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, j := range jobs {
		names = append(names, j.Name())
		if want := map[string]float64{UBoost: 1, "lut": 0}[j.Method]; j.Beta != want {
			t.Errorf("%s: β = %v, want %v (baselines search with β = 0)", j.Name(), j.Beta, want)
		}
	}
	want := []string{"uboost-l0.1-s0", "lut-l0.1-s0", "uboost-l0.1-s1", "lut-l0.1-s1",
		"uboost-l5-s0", "lut-l5-s0", "uboost-l5-s1", "lut-l5-s1"}
	if !slices.Equal(names, want) {
		t.Errorf("jobs = %q, want %q", names, want)
	}
	for _, bad := range []Plan{
		{Methods: []string{"magic"}, Lambdas: []float64{1}, Seeds: 1},
		{Methods: []string{UBoost}, Lambdas: []float64{-1}, Seeds: 1},
		{Methods: []string{UBoost}, Lambdas: []float64{1}, Seeds: 0},
		{Methods: []string{UBoost}, Lambdas: nil, Seeds: 1},
	} {
		if _, err := bad.Jobs(); err == nil {
			t.Errorf("Plan%+v.Jobs() succeeded", bad)
		}
	}
}

func TestSearchArgs(t *testing.T) {
	args, err := Job{Protocol: protocol.UBoost, Method: UBoost, Lambda: 0.5, Beta: 1, Seed: 3}.SearchArgs("demo", "d/r", 2, true, []string{"--epochs-micro", "1"})
	if err != nil {
		t.Fatal(err)
	}
	want := "search --preset demo --protocol uboost --cost systolic --lambda 0.5 --beta 1 --seed 3 --out d/r --threads 2 --resume --epochs-micro 1"
	if got := strings.Join(args, " "); got != want {
		t.Errorf("args = %q, want %q", got, want)
	}
	args, _ = Job{Protocol: protocol.Paper, Method: "roofline", Lambda: 5}.SearchArgs("cifar10", "x", 0, false, nil)
	if got := strings.Join(args, " "); got != "search --preset cifar10 --protocol paper --cost roofline-paper --lambda 5 --beta 0 --seed 0 --out x" {
		t.Errorf("args = %q", got)
	}
}

// TestCostModelsAreRegistered: every method's model under every protocol is a model of package cost's
// registry, and reads back to its method.
func TestCostModelsAreRegistered(t *testing.T) {
	want := map[protocol.Protocol][]string{
		protocol.UBoost: {"systolic", "flops", "roofline", "lut"},
		protocol.Paper:  {"systolic", "flops", "roofline-paper", "blackbox"},
	}
	for _, p := range protocol.All {
		for i, m := range Methods {
			model, err := CostModel(p, m)
			if err != nil {
				t.Fatal(err)
			}
			if model != want[p][i] {
				t.Errorf("%s %s: model %q, want %q", p, m, model, want[p][i])
			}
			if _, err := cost.Lookup(model); err != nil {
				t.Errorf("%s %s: %v", p, m, err)
			}
			if back, err := MethodOf(p, model); err != nil || back != m {
				t.Errorf("MethodOf(%s, %s) = %q, %v; want %q", p, model, back, err, m)
			}
		}
	}
	if m, _ := MethodOf("", "systolic"); m != UBoost {
		t.Errorf("a result.json without protocol: method %q, want uboost", m)
	}
}

func TestFilter(t *testing.T) {
	jobs, err := Plan{Methods: Methods, Lambdas: DefaultLambdas, Seeds: 2, Beta: 1}.Jobs()
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseOnly("method=uboost,method=lut, lambda=0.1,seed=1")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, j := range f.Apply(jobs) {
		names = append(names, j.Name())
	}
	if want := []string{"uboost-l0.1-s1", "lut-l0.1-s1"}; !slices.Equal(names, want) {
		t.Errorf("--only picked %q, want %q", names, want)
	}
	// Shards partition the grid: every job in exactly one of 3 shards, sizes 11, 11, 10 of 32.
	seen := map[string]int{}
	for i := range 3 {
		var g Filter
		if err := g.ParseShard(strings.Join([]string{string(rune('0' + i)), "3"}, "/")); err != nil {
			t.Fatal(err)
		}
		part := g.Apply(jobs)
		if want := []int{11, 11, 10}[i]; len(part) != want {
			t.Errorf("shard %d/3 has %d jobs, want %d", i, len(part), want)
		}
		for _, j := range part {
			seen[j.Name()]++
		}
	}
	if len(seen) != len(jobs) {
		t.Errorf("shards cover %d of %d jobs", len(seen), len(jobs))
	}
	for _, bad := range []string{"method=magic", "lambda=x", "seed=1.5", "color=red", "uboost"} {
		if _, err := ParseOnly(bad); err == nil {
			t.Errorf("ParseOnly(%q) succeeded", bad)
		}
	}
	for _, bad := range []string{"3/3", "-1/2", "1", "a/b", "0/0"} {
		var g Filter
		if err := g.ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) succeeded", bad)
		}
	}
	if ls, err := ParseFloats("0.1, 5"); err != nil || !slices.Equal(ls, []float64{0.1, 5}) {
		t.Errorf("ParseFloats = %v, %v", ls, err)
	}
}
