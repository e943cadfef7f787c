// Package experiment runs U-Boost NAS's method comparison (PAPER.md §4): the same search space,
// optimizer and budget driven by four cost models — U-Boost's systolic-array model (with the
// utilization term β), FLOPs, roofline and a lookup table (β = 0, as the paper's run scripts) — over a
// grid of latency weights λ and seeds, and tabulates what each found: accuracy, latency and utilization
// on the simulated array, hypervolume per method, the speedup of U-Boost over the fastest baseline per
// λ and along the accuracy axis (the ratio of the Pareto staircases: the same λ weighs each model's
// own, differently scaled latency), and how often searched channel widths land on multiples of the array size.
//
// One configuration (method, λ, seed) is one Job. A job is one independent `uboost search` process
// that writes its own run directory, DIR/runs/<method>-l<λ>-s<seed>/, and finishes by writing
// result.json there; its presence is the only mark of a finished run. That makes the output directory
// the only shared state between runs, so:
//
//   - re-running the same experiment resumes it: finished runs are skipped, a run directory without
//     result.json is continued with `search --resume`;
//   - an experiment can be spread over machines: give each machine a subset of the jobs (Filter, the
//     CLI's --only method=uboost,lambda=0.1,seed=0 or --shard i/n) writing into the same DIR (a shared
//     file system, or copy the run directories together afterwards), then rebuild the summary from
//     whatever result.json files exist (Collect, the CLI's --report-only).
//
// Collect reads the runs, Summarize aggregates them into a Summary (the document written as
// summary.json), Page renders the comparison as report.html and WriteMarkdown its tables as
// report.md. The package never prints: Runner reports progress through a callback.
//
// The package reads result.json with its own decoder of the fields it needs rather than importing the
// search pipeline's Result type, so that tabulating finished runs does not pull in the training stack;
// TestReadRunErrors and the fixtures pin the field names.
package experiment
