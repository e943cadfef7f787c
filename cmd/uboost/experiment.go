package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/uboost/uboost/experiment"
	"github.com/uboost/uboost/protocol"
	"github.com/uboost/uboost/search"
)

func init() { root.AddCommand(newExperimentCmd()) }

// experimentFlags are the flags of `uboost experiment`.
type experimentFlags struct {
	preset, lambdas, methods, out, only, shard, searchArgs, proto string
	seeds, jobs, threads                                          int
	beta, similar                                                 float64
	reportOnly                                                    bool
	trainEpochs                                                   int
}

func newExperimentCmd() *cobra.Command {
	f := &experimentFlags{}
	cmd := &cobra.Command{
		Use:   "experiment --out DIR [flags]",
		Short: "Compare U-Boost's cost model with FLOPs, roofline and lookup-table searches (the paper's Table 4)",
		Long: `experiment reproduces the paper's method comparison: for each method (uboost = the systolic cost model
with utilization weight --beta; flops, roofline and lut = the baselines, searched with β = 0 as the
paper's scripts), each λ in --lambdas and each seed, it runs one "uboost search" process (search,
final training, evaluation, latency and utilization at batch 1 from the exact model and the cycle-level
simulator) into DIR/runs/<method>-l<λ>-s<seed>/, its output in run.log there. Then it writes
DIR/summary.json (every run, mean ± std per method and λ, hypervolume per method, U-Boost's speedup over
the fastest baseline per λ, widths on multiples of the array size, the verdict per baseline) and
DIR/report.html (tables, Pareto plot, width histogram) with its tables also in DIR/report.md.

Resuming: run the same command again. Runs with a result.json are skipped; a run directory without one
is continued with "search --resume".

Spreading over machines: the output directory is the only shared state. Give each machine a part of the
grid with --only (e.g. --only method=uboost,lambda=0.1,seed=0; keys repeat to select several values)
or --shard i/n (every n-th job from the i-th, 0-based), all writing into the same DIR (a shared file
system, or copy each machine's DIR/runs/* together afterwards), then build the summary from whatever
finished with "uboost experiment --report-only --out DIR".`,
		Args: cobra.NoArgs,
	}
	fl := cmd.Flags()
	fl.StringVar(&f.proto, "protocol", string(protocol.UBoost), "protocol of every run: uboost, paper, or both (two grids, DIR/paper and DIR/uboost, each with its own report); docs/PROTOCOL.md")
	fl.StringVar(&f.preset, "preset", "demo", "search preset of every run: "+strings.Join(search.Presets, ", "))
	fl.StringVar(&f.lambdas, "lambdas", "0.1,0.5,1,5", "comma-separated latency weights λ")
	fl.StringVar(&f.methods, "methods", strings.Join(experiment.Methods, ","), "comma-separated methods to compare")
	fl.IntVar(&f.seeds, "seeds", 0, "seeds per method and λ, 0 … N−1 (0: 2 for demo, 3 otherwise as the paper)")
	fl.Float64Var(&f.beta, "beta", 1, "U-Boost's utilization weight β (the baselines use β = 0)")
	fl.StringVar(&f.out, "out", "", "experiment directory (required)")
	fl.IntVar(&f.jobs, "jobs", 0, "runs at once (0: max(1, cores/2))")
	fl.IntVar(&f.threads, "threads", 0, "engine threads per run (0: cores/jobs)")
	fl.StringVar(&f.only, "only", "", "run only these configurations: method=M,lambda=L,seed=S (keys may repeat)")
	fl.StringVar(&f.shard, "shard", "", "run only shard i/n of the configurations (0 ≤ i < n)")
	fl.StringVar(&f.searchArgs, "search-args", "", `extra flags for every search, e.g. "--epochs-micro 1 --data cifar10:DIR"`)
	fl.IntVar(&f.trainEpochs, "train-epochs", -1, "final-training epochs of every run (-1: 5 for the demo preset, which keeps its 32 runs under 2 hours on 2 cores; the preset's otherwise)")
	fl.Float64Var(&f.similar, "similar", experiment.DefaultSimilarPoints, "accuracy margin in points within which U-Boost counts as similarly accurate")
	fl.BoolVar(&f.reportOnly, "report-only", false, "run nothing; rebuild summary.json and report.html from the finished runs in --out")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return runExperiment(cmd, f) }
	return cmd
}

func runExperiment(cmd *cobra.Command, f *experimentFlags) error {
	if f.out == "" {
		return fmt.Errorf("flag --out: an experiment directory is required")
	}
	protos := protocol.All
	if f.proto != "both" {
		p, err := protocol.Parse(f.proto)
		if err != nil {
			return fmt.Errorf("flag --protocol: %w (or both)", err)
		}
		protos = []protocol.Protocol{p}
	}
	// Every flag of every protocol's grid is checked before anything is written or run.
	grids := make([][]experiment.Job, len(protos))
	if !f.reportOnly {
		for i, p := range protos {
			var err error
			if grids[i], err = planGrid(f, p); err != nil {
				return err
			}
		}
	}
	var errs []error
	for i, p := range protos {
		dir := f.out
		if len(protos) > 1 {
			dir = filepath.Join(f.out, string(p))
			fmt.Fprintf(cmd.OutOrStdout(), "protocol %s: %s\n", p, dir)
		}
		errs = append(errs, runProtocol(cmd, f, p, dir, grids[i]))
	}
	return errors.Join(errs...)
}

// runProtocol runs protocol p's jobs (none with --report-only) into dir and reports them.
func runProtocol(cmd *cobra.Command, f *experimentFlags, p protocol.Protocol, dir string, jobs []experiment.Job) error {
	var runErr error
	if !f.reportOnly {
		runErr = runGrid(cmd, f, dir, jobs)
	} else if err := experiment.CheckDir(dir); err != nil {
		return fmt.Errorf("flag --out: %w", err)
	}
	runs, err := experiment.Collect(dir)
	if err != nil {
		return err
	}
	s := experiment.Summarize(runs, f.similar)
	if err := experiment.WriteSummary(dir, s); err != nil {
		return err
	}
	preset := f.preset
	if f.reportOnly && len(runs) > 0 && runs[0].Preset != "" {
		preset = runs[0].Preset // --report-only names the preset the runs used, not the flag's default
	}
	page, err := s.Page("U-Boost vs baselines ("+preset+" preset, "+string(p)+" protocol)", "uboost "+strings.Join(os.Args[1:], " "))
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "report.html")
	if err := createFile(path, page.Write); err != nil {
		return err
	}
	mdPath := filepath.Join(dir, "report.md")
	if err := createFile(mdPath, s.WriteMarkdown); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "%d finished runs; wrote %s, %s and %s\n", len(runs), filepath.Join(dir, "summary.json"), path, mdPath)
	if len(runs) > 0 {
		fmt.Fprintln(out, s.VerdictText())
	}
	return runErr
}

// planGrid checks the flags and returns the configurations they select under protocol p; none
// selected is an error.
func planGrid(f *experimentFlags, p protocol.Protocol) ([]experiment.Job, error) {
	if err := checkCounts(map[string]int{"jobs": f.jobs, "threads": f.threads, "seeds": f.seeds}); err != nil {
		return nil, err
	}
	if err := experiment.CheckSearchArgs(searchArgs(f)); err != nil {
		return nil, fmt.Errorf("flag --search-args: %w", err)
	}
	ls, err := experiment.ParseFloats(f.lambdas)
	if err != nil {
		return nil, fmt.Errorf("flag --lambdas: %w", err)
	}
	seeds := f.seeds
	if seeds == 0 {
		seeds = 3
		if f.preset == "demo" {
			seeds = 2
		}
	}
	plan := experiment.Plan{Protocol: p, Preset: f.preset, Methods: strings.Split(f.methods, ","), Lambdas: ls, Seeds: seeds, Beta: f.beta}
	jobs, err := plan.Jobs()
	if err != nil {
		return nil, err
	}
	filter, err := experiment.ParseOnly(f.only)
	if err != nil {
		return nil, fmt.Errorf("flag --only: %w", err)
	}
	if f.shard != "" {
		if err := filter.ParseShard(f.shard); err != nil {
			return nil, fmt.Errorf("flag --shard: %w", err)
		}
	}
	if jobs = filter.Apply(jobs); len(jobs) == 0 {
		return nil, fmt.Errorf("flags --only/--shard: no configuration of the grid (--methods, --lambdas, --seeds) matches")
	}
	return jobs, nil
}

// runGrid runs the configurations planGrid selected into dir.
func runGrid(cmd *cobra.Command, f *experimentFlags, dir string, jobs []experiment.Job) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cores := runtime.NumCPU()
	par := f.jobs
	if par <= 0 {
		par = max(1, cores/2)
	}
	threads := f.threads
	if threads <= 0 {
		threads = max(1, cores/par)
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "experiment: %d runs (%d at once, %d threads each) into %s\n", len(jobs), par, threads, dir)
	r := &experiment.Runner{Exe: exe, Dir: dir, Preset: f.preset, Jobs: par, Threads: threads,
		SearchArgs: searchArgs(f), Progress: func(e experiment.Event) {
			eta := ""
			if e.ETA > 0 {
				eta = " ETA " + e.ETA.Round(time.Second).String()
			}
			what := string(e.Kind)
			switch e.Kind {
			case experiment.Started:
				if e.Resumed {
					what = "resumed"
				}
			case experiment.Done:
				what += " in " + e.Took.Round(time.Second).String()
			case experiment.Failed:
				what += ": " + e.Err.Error()
			}
			fmt.Fprintf(out, "[%d/%d %s%s] %s %s\n", e.Finished, e.Total, e.Elapsed.Round(time.Second), eta, e.Job.Name(), what)
		}}
	// SIGTERM or Ctrl-C stops the runs as an interrupt (each keeps its checkpoint) so that re-running the
	// command resumes them.
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return r.Run(ctx, jobs)
}

// searchArgs are the extra flags of every run's search: --search-args, preceded by the final-training
// epochs the experiment gives every method alike.
func searchArgs(f *experimentFlags) []string {
	extra := strings.Fields(f.searchArgs)
	epochs := f.trainEpochs
	if epochs < 0 && f.preset == "demo" {
		epochs = 5
	}
	if epochs > 0 && !slices.Contains(extra, "--train-epochs") {
		extra = append([]string{"--train-epochs", strconv.Itoa(epochs)}, extra...)
	}
	return extra
}
