package experiment

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/uboost/uboost/protocol"
)

// UBoost is the method name of U-Boost's own cost model: the systolic-array model with the
// utilization term. The other methods are the baselines.
const UBoost = "uboost"

// Methods lists the compared methods in report order: U-Boost first, then the baselines of PAPER.md
// §1.6 (FLOPs, roofline, lookup table).
var Methods = []string{UBoost, "flops", "roofline", "lut"}

// DefaultLambdas are the latency weights of the paper's CIFAR-10 comparison (Table 4).
var DefaultLambdas = []float64{0.1, 0.5, 1, 5}

// costModels is the one place that says which cost registry model (package cost) each method searches
// with under each protocol: U-Boost and FLOPs alike under both; under paper the roofline and the lookup
// table are the paper's (the reference footprint; the simulator's table at batch 1), under uboost the
// stronger ones (bug-fixed footprint; the exact model's table at the search batch, docs/PROTOCOL.md).
var costModels = map[string]map[protocol.Protocol]string{
	UBoost:     {protocol.UBoost: "systolic", protocol.Paper: "systolic"},
	"flops":    {protocol.UBoost: "flops", protocol.Paper: "flops"},
	"roofline": {protocol.UBoost: "roofline", protocol.Paper: "roofline-paper"},
	"lut":      {protocol.UBoost: "lut", protocol.Paper: "blackbox"},
}

// CostModel returns the `search --cost` model a method searches with under protocol p.
func CostModel(p protocol.Protocol, method string) (string, error) {
	models, ok := costModels[method]
	if !ok {
		return "", fmt.Errorf("unknown method %q (want %s)", method, strings.Join(Methods, ", "))
	}
	if m, ok := models[p]; ok {
		return m, nil
	}
	return "", fmt.Errorf("method %q: no cost model for protocol %q", method, p)
}

// MethodOf names the method whose search used cost model model under protocol p (a run without a
// protocol is a uboost run).
func MethodOf(p protocol.Protocol, model string) (string, error) {
	if p == "" {
		p = protocol.UBoost
	}
	for _, m := range Methods {
		if costModels[m][p] == model {
			return m, nil
		}
	}
	return "", fmt.Errorf("cost model %q is no method's under protocol %q", model, p)
}

// Job is one configuration of the comparison: a method searched with latency weight Lambda and
// utilization weight Beta from random seed Seed.
type Job struct {
	// Protocol is the protocol the job's search follows.
	Protocol protocol.Protocol
	Method   string
	Lambda   float64
	Beta     float64
	Seed     int64
}

// formatFloat writes λ or β the shortest way that reads back exactly ("0.1", "5").
func formatFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// Name is the job's run directory name under DIR/runs: <method>-l<λ>-s<seed>, e.g. "uboost-l0.1-s0".
func (j Job) Name() string {
	return fmt.Sprintf("%s-l%s-s%d", j.Method, formatFloat(j.Lambda), j.Seed)
}

// SearchArgs returns the `uboost search` arguments that run the job into runDir with the preset,
// followed by extra (forwarded search flags such as --epochs-micro).
func (j Job) SearchArgs(preset, runDir string, threads int, resume bool, extra []string) ([]string, error) {
	model, err := CostModel(j.Protocol, j.Method)
	if err != nil {
		return nil, err
	}
	args := []string{"search", "--preset", preset, "--protocol", string(j.Protocol), "--cost", model,
		"--lambda", formatFloat(j.Lambda), "--beta", formatFloat(j.Beta),
		"--seed", strconv.FormatInt(j.Seed, 10), "--out", runDir}
	if threads > 0 {
		args = append(args, "--threads", strconv.Itoa(threads))
	}
	if resume {
		args = append(args, "--resume")
	}
	return append(args, extra...), nil
}

// Plan is the grid of an experiment: every method × λ × seed.
type Plan struct {
	// Protocol is the protocol of every run (protocol.UBoost when empty).
	Protocol protocol.Protocol
	Preset   string
	Methods  []string
	Lambdas  []float64
	// Seeds runs seeds 0 … Seeds−1.
	Seeds int
	// Beta is U-Boost's utilization weight; the baselines always search with β = 0.
	Beta float64
}

// Jobs lists the plan's configurations, λ outermost, then seed, then method, so that a partly finished
// experiment already holds complete method comparisons for the first λ values. It fails on an unknown
// method, a non-finite or negative λ or β, or fewer than one seed.
func (p Plan) Jobs() ([]Job, error) {
	if p.Seeds < 1 {
		return nil, fmt.Errorf("seeds: want at least 1, got %d", p.Seeds)
	}
	if len(p.Methods) == 0 || len(p.Lambdas) == 0 {
		return nil, fmt.Errorf("plan: want at least one method and one λ")
	}
	if !(p.Beta >= 0 && p.Beta < 1e300) {
		return nil, fmt.Errorf("beta: want a finite value ≥ 0, got %v", p.Beta)
	}
	proto := p.Protocol
	if proto == "" {
		proto = protocol.UBoost
	}
	for _, m := range p.Methods {
		if _, err := CostModel(proto, m); err != nil {
			return nil, fmt.Errorf("methods: %w", err)
		}
	}
	var jobs []Job
	for _, l := range p.Lambdas {
		if !(l >= 0 && l < 1e300) {
			return nil, fmt.Errorf("lambdas: want finite values ≥ 0, got %v", l)
		}
		for s := range int64(p.Seeds) {
			for _, m := range p.Methods {
				beta := 0.0
				if m == UBoost {
					beta = p.Beta
				}
				jobs = append(jobs, Job{Protocol: proto, Method: m, Lambda: l, Beta: beta, Seed: s})
			}
		}
	}
	return jobs, nil
}

// ParseFloats reads a comma-separated list of numbers ("0.1,0.5,1,5").
func ParseFloats(s string) ([]float64, error) {
	var out []float64
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		x, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, fmt.Errorf("want a comma-separated list of numbers, got %q", f)
		}
		if !slices.Contains(out, x) { // "2,2.0" is one λ, one run directory
			out = append(out, x)
		}
	}
	return out, nil
}

// Filter selects the subset of an experiment's jobs that one process runs, so that jobs can be spread
// over machines writing into the same directory. The zero Filter selects everything.
type Filter struct {
	// Methods, Lambdas and Seeds, when not empty, keep only jobs with one of these values.
	Methods []string
	Lambdas []float64
	Seeds   []int64
	// Shard and Shards, when Shards > 0, keep every Shards-th job starting at Shard (0-based), counted
	// over the jobs that pass the other fields.
	Shard, Shards int
}

// ParseOnly reads an --only selector, comma-separated key=value pairs with keys method, lambda and
// seed, each of which may repeat: "method=uboost,lambda=0.1,seed=0".
func ParseOnly(s string) (Filter, error) {
	var f Filter
	for kv := range strings.SplitSeq(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return f, fmt.Errorf("want key=value, got %q", kv)
		}
		switch strings.TrimSpace(k) {
		case "method":
			if _, ok := costModels[v]; !ok {
				return f, fmt.Errorf("unknown method %q (want %s)", v, strings.Join(Methods, ", "))
			}
			f.Methods = append(f.Methods, v)
		case "lambda":
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return f, fmt.Errorf("lambda: want a number, got %q", v)
			}
			f.Lambdas = append(f.Lambdas, x)
		case "seed":
			x, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return f, fmt.Errorf("seed: want an integer, got %q", v)
			}
			f.Seeds = append(f.Seeds, x)
		default:
			return f, fmt.Errorf("unknown key %q (want method, lambda or seed)", k)
		}
	}
	return f, nil
}

// ParseShard reads a --shard selector "i/n" (0 ≤ i < n) into f.
func (f *Filter) ParseShard(s string) error {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return fmt.Errorf("want i/n with 0 ≤ i < n, got %q", s)
	}
	f.Shard, f.Shards = i, n
	return nil
}

// Apply returns the jobs the filter selects, in their original order.
func (f Filter) Apply(jobs []Job) []Job {
	var kept []Job
	for _, j := range jobs {
		if (len(f.Methods) == 0 || slices.Contains(f.Methods, j.Method)) &&
			(len(f.Lambdas) == 0 || slices.Contains(f.Lambdas, j.Lambda)) &&
			(len(f.Seeds) == 0 || slices.Contains(f.Seeds, j.Seed)) {
			kept = append(kept, j)
		}
	}
	if f.Shards <= 0 {
		return kept
	}
	var shard []Job
	for i, j := range kept {
		if i%f.Shards == f.Shard {
			shard = append(shard, j)
		}
	}
	return shard
}
