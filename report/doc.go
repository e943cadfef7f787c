// Package report turns uboost's numbers into things people read: tables (plain text, Markdown, CSV,
// HTML), SVG plots (training curves, per-layer utilization bars with the simulator's PE-cycle breakdown,
// accuracy–latency scatter with Pareto fronts, channel-width histograms), a drawing of a network's
// graph, and one self-contained HTML page per run (report.html: inline SVG and CSS, no scripts, no
// external files).
//
// It also holds the figure of merit the paper compares methods by: the hypervolume of an
// accuracy–runtime Pareto front (HyperVolume, ParetoFront).
//
// The package only formats; it never prints or exits. Every writer returns its error, and bad input
// (NaN values, mismatched lengths, non-positive values on a log axis) is an error, not a panic.
package report
