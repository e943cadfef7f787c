package experiment

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"
)

// ResultFile is the file a finished run writes last into its run directory; its presence means the
// run is done.
const ResultFile = "result.json"

// killGrace is how long a cancelled search may take to stop after its interrupt before it is killed.
const killGrace = 30 * time.Second

// LogFile is the file in each run directory that receives the search process's stdout and stderr
// (appended to, so a resumed run keeps the log of its earlier attempts).
const LogFile = "run.log"

// RunDir returns the directory of a job inside the experiment directory dir: dir/runs/<job name>.
func RunDir(dir string, j Job) string { return filepath.Join(dir, "runs", j.Name()) }

// Finished reports whether the job's run directory holds a complete result.json (one ReadRun
// accepts); a truncated one is not finished, and the job is run again (resumed).
func Finished(dir string, j Job) bool {
	_, err := ReadRun(filepath.Join(RunDir(dir, j), ResultFile))
	return err == nil
}

// started reports whether a run directory holds anything a search wrote besides our own log, so that
// the search should continue it (--resume) rather than start afresh.
func started(runDir string) bool {
	entries, err := os.ReadDir(runDir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if e.Name() != LogFile {
			return true
		}
	}
	return false
}

// EventKind says what happened to a job.
type EventKind string

// The events a Runner reports.
const (
	// Skipped: the job had already finished (result.json present) and was not run again.
	Skipped EventKind = "skipped"
	// Started: the job's search process was started (Resumed tells whether with --resume).
	Started EventKind = "started"
	// Done: the process exited cleanly and wrote result.json.
	Done EventKind = "done"
	// Failed: the process failed or wrote no result.json; Err says why.
	Failed EventKind = "failed"
)

// Event is one progress report of a Runner: what happened to which job, and where the whole
// experiment stands.
type Event struct {
	Kind    EventKind
	Job     Job
	Resumed bool
	Err     error
	// Took is how long the job's process ran (Done, Failed).
	Took time.Duration
	// Finished counts jobs that are done, skipped or failed; Total is the number of jobs.
	Finished, Total int
	// Elapsed is the time since Run began; ETA estimates the time left from the mean duration of the
	// jobs run so far and the number of parallel jobs (0 until one job has ended).
	Elapsed, ETA time.Duration
}

// Runner runs an experiment's jobs as independent `uboost search` processes, Jobs at a time.
type Runner struct {
	// Exe is the uboost binary (the CLI passes os.Executable()).
	Exe string
	// Dir is the experiment directory; each job writes Dir/runs/<job name>/.
	Dir    string
	Preset string
	// Jobs is the number of processes run at once (at least 1); Threads is each one's --threads
	// (0 leaves the search's default).
	Jobs, Threads int
	// SearchArgs are extra flags forwarded to every search (e.g. --epochs-micro 1).
	SearchArgs []string
	// Progress, when set, receives every event; calls are serialized.
	Progress func(Event)
}

// Run runs every job that has not finished yet, continuing started ones with --resume, and returns
// when all have ended or ctx is cancelled. A failing job does not stop the others; the error joins
// every failure, each naming its run directory.
func (r *Runner) Run(ctx context.Context, jobs []Job) error {
	if r.Exe == "" || r.Dir == "" {
		return errors.New("experiment runner: Exe and Dir must be set")
	}
	start := time.Now()
	var (
		mu       sync.Mutex
		finished int
		ran      int
		ranTime  time.Duration
		errs     []error
	)
	parallel := max(1, r.Jobs)
	report := func(e Event) {
		// Called with mu held.
		e.Finished, e.Total, e.Elapsed = finished, len(jobs), time.Since(start)
		if ran > 0 {
			left := len(jobs) - finished
			e.ETA = ranTime / time.Duration(ran) * time.Duration((left+parallel-1)/parallel)
		}
		if r.Progress != nil {
			r.Progress(e)
		}
	}
	var todo []Job
	for _, j := range jobs {
		if Finished(r.Dir, j) {
			mu.Lock()
			finished++
			report(Event{Kind: Skipped, Job: j})
			mu.Unlock()
			continue
		}
		todo = append(todo, j)
	}
	queue := make(chan Job)
	var wg sync.WaitGroup
	for range min(parallel, max(1, len(todo))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				runDir := RunDir(r.Dir, j)
				mu.Lock()
				// Another machine sharing the directory may have finished it meanwhile.
				if Finished(r.Dir, j) {
					finished++
					report(Event{Kind: Skipped, Job: j})
					mu.Unlock()
					continue
				}
				mu.Unlock()
				resumed := started(runDir)
				mu.Lock()
				report(Event{Kind: Started, Job: j, Resumed: resumed})
				mu.Unlock()
				t0 := time.Now()
				err := r.runOne(ctx, j, runDir, resumed)
				took := time.Since(t0)
				mu.Lock()
				finished++
				ran++
				ranTime += took
				if err != nil {
					errs = append(errs, err)
					report(Event{Kind: Failed, Job: j, Err: err, Took: took})
				} else {
					report(Event{Kind: Done, Job: j, Took: took})
				}
				mu.Unlock()
			}
		}()
	}
	for _, j := range todo {
		select {
		case queue <- j:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(queue)
	wg.Wait()
	if ctx.Err() != nil {
		errs = append(errs, ctx.Err())
	}
	return errors.Join(errs...)
}

// runOne runs one job's search process with its output appended to the run's log.
func (r *Runner) runOne(ctx context.Context, j Job, runDir string, resume bool) error {
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return fmt.Errorf("%s: %w", runDir, err)
	}
	logPath := filepath.Join(runDir, LogFile)
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("%s: %w", logPath, err)
	}
	defer log.Close()
	args, err := j.SearchArgs(r.Preset, runDir, r.Threads, resume, r.SearchArgs)
	if err != nil {
		return fmt.Errorf("%s: %w", runDir, err)
	}
	cmd := exec.CommandContext(ctx, r.Exe, args...)
	cmd.Stdout, cmd.Stderr = log, log
	// On cancellation ask the search to stop as Ctrl-C would (it keeps its last checkpoint for
	// --resume), and kill it only if it has not exited after a grace period.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = killGrace
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: search failed (%w); see %s", runDir, err, logPath)
	}
	if !Finished(r.Dir, j) {
		return fmt.Errorf("%s: search exited without writing %s; see %s", runDir, ResultFile, logPath)
	}
	return nil
}
