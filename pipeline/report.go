package pipeline

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/internal/atomicfile"
	"github.com/uboost/uboost/internal/jsonfile"
	"github.com/uboost/uboost/report"
	"github.com/uboost/uboost/search"
	"github.com/uboost/uboost/train"
)

// writeReport writes dir/report.html: the result, the network drawn with each layer's simulated
// utilization, the search's curves and op probabilities, the training curves, and the per-layer cost
// tables of the exact model and the simulator. searched is the search whose network was trained
// (cfg.Search, or under cfg.Refine the chosen array's; the co-design's stages follow its own).
func writeReport(dir string, cfg Config, searched *search.Config, net *arch.Network, res *Result, reports [2]*cost.Report) error {
	page := &report.Page{Title: fmt.Sprintf("uboost run: %s, λ = %g, β = %g, seed %d", res.Method, res.Lambda, res.Beta, res.Seed)}
	summary := &report.Table{
		Title:  "Result",
		Header: []string{"test top-1", "top-5", "params", "exact latency ms", "exact util", "exact energy µJ", "sim latency ms", "sim util", "sim energy µJ", "search s", "train s"},
		Rows: [][]string{{
			report.Percent(res.TestAccuracy, 2), report.Percent(res.Top5, 2), fmt.Sprint(res.Params),
			report.Fixed(res.Exact.LatencyMs, 4), report.Percent(res.Exact.Utilization, 1), report.Fixed(res.Exact.EnergyUJ, 3),
			report.Fixed(res.Simulator.LatencyMs, 4), report.Percent(res.Simulator.Utilization, 1), report.Fixed(res.Simulator.EnergyUJ, 3),
			report.Fixed(res.SearchSeconds, 0), report.Fixed(res.TrainSeconds, 0),
		}},
		Notes: []string{fmt.Sprintf("Latency, utilization and energy at batch 1 on %s; the search priced layers at batch %d.", res.Accelerator, searched.Accel.Batch)},
	}
	page.Sections = append(page.Sections, report.Section{Heading: "Result", Table: summary,
		Text: fmt.Sprintf("Searched widths: %v.", res.Widths)})

	if len(res.WidthMoves) > 0 {
		page.Sections = append(page.Sections, widthSection(res))
	}

	drawing, err := report.NetworkSVG(net, report.UtilizationAnnotator(reports[1]))
	if err != nil {
		return err
	}
	page.Sections = append(page.Sections, report.Section{Heading: "Searched network",
		Text: "Each box is a layer; array layers show their simulated utilization at batch 1.", SVGs: [][]byte{drawing}})

	searchSec, err := searchSection(dir, searched)
	if err != nil {
		return err
	}
	page.Sections = append(page.Sections, searchSec...)
	if c := res.Codesign; c != nil {
		codesignSec, err := searchSection(filepath.Join(dir, CodesignDir), cfg.Search)
		if err != nil {
			return err
		}
		for i := range codesignSec {
			codesignSec[i].Heading = "Co-design (chose " + c.Array + "): " + codesignSec[i].Heading
		}
		page.Sections = append(page.Sections, codesignSec...)
	}
	trainSec, err := trainSection(filepath.Join(dir, TrainDir, train.MetricsFile))
	if err != nil {
		return err
	}
	page.Sections = append(page.Sections, trainSec)
	for _, r := range []*cost.Report{reports[1], reports[0]} {
		sec, err := report.CostSection(r)
		if err != nil {
			return err
		}
		page.Sections = append(page.Sections, sec)
	}
	conf, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	page.Sections = append(page.Sections, report.Section{Heading: "Configuration", Pre: string(conf)})

	return atomicfile.Write(filepath.Join(dir, ReportFile), page.Write)
}

// readLines decodes every JSON line of a metrics.jsonl file into a T.
func readLines[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for n := 1; sc.Scan(); n++ {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, jsonfile.Describe(sc.Bytes(), err))
		}
		out = append(out, v)
	}
	return out, sc.Err()
}

// searchSection plots each stage's loss, latency and utilization per step, and the micro stage's op
// probabilities (averaged over the edges of the first cell) per epoch.
func searchSection(dir string, cfg *search.Config) ([]report.Section, error) {
	var secs []report.Section
	var inTurn []string // the arrays a stage starts with in turn; nil: all of them
	for _, stage := range []string{MicroDir, ChannelDir} {
		lines, err := readLines[search.Metric](filepath.Join(dir, stage, search.MetricsFile))
		if err != nil {
			return nil, err
		}
		var loss, lat, util report.Series
		loss.Name, lat.Name, util.Name = "loss", "latency ms (soft)", "utilization (soft)"
		if cfg.Aggregation == search.AggReference {
			util.Name = fmt.Sprintf("utilization term (soft; sum of per-cell means, 0–%d)", cfg.Cells)
		}
		var probs [][]float64 // [epoch][op]
		var epochs []float64
		var arrays []report.Series
		arrays, inTurn = arrayCostSeries(cfg, lines, inTurn)
		for i, m := range lines {
			if m.Phase == "epoch" {
				if len(m.OpProbs) > 0 {
					mean := make([]float64, len(m.OpProbs[0]))
					for _, edge := range m.OpProbs {
						for j, p := range edge {
							mean[j] += p / float64(len(m.OpProbs))
						}
					}
					probs = append(probs, mean)
					epochs = append(epochs, float64(m.Epoch))
				}
				continue
			}
			x := float64(i)
			loss.X, loss.Y = append(loss.X, x), append(loss.Y, m.Loss)
			lat.X, lat.Y = append(lat.X, x), append(lat.Y, m.LatencyMs)
			util.X, util.Y = append(util.X, x), append(util.Y, m.Utilization)
		}
		sec := report.Section{Heading: "Search: " + stage + " stage",
			Text: "Per step (weight and architecture phases alternate): the loss CE + λ·latency − β·utilization, and the in-graph latency and utilization at the search's hardware batch."}
		for _, s := range []report.Series{loss, lat, util} {
			if len(s.X) == 0 {
				continue
			}
			svg, err := report.LinePlot(report.LineSpec{Frame: report.Frame{Title: s.Name, XLabel: "step", YLabel: s.Name}, Series: []report.Series{s}})
			if err != nil {
				return nil, err
			}
			sec.SVGs = append(sec.SVGs, svg)
		}
		if len(probs) > 0 {
			var series []report.Series
			for j, op := range cfg.Ops {
				s := report.Series{Name: string(op), X: epochs}
				for _, p := range probs {
					s.Y = append(s.Y, p[j])
				}
				series = append(series, s)
			}
			svg, err := report.LinePlot(report.LineSpec{Frame: report.Frame{Title: "op probabilities softmax(α), mean over edges",
				XLabel: "epoch", YLabel: "probability"}, Series: series, Marks: true})
			if err != nil {
				return nil, err
			}
			sec.SVGs = append(sec.SVGs, svg)
		}
		// an array the micro stage's halving dropped has no line in the channel stage
		arrays = slices.DeleteFunc(arrays, func(s report.Series) bool { return len(s.X) == 0 })
		if len(arrays) > 0 {
			unit := map[search.Objective]string{search.ObjectiveLatency: "latency ms", search.ObjectiveEnergy: "energy µJ", search.ObjectiveEDP: "EDP µJ·ms"}[cfg.Objective]
			title := "co-design: expected " + unit + " on each candidate array (mean over the epoch)"
			if cfg.ArrayHalving && (stage == ChannelDir || cfg.ArrayHalvingFrom == search.StageMicro) {
				title += "; a line ends where halving drops its array"
			}
			svg, err := report.LinePlot(report.LineSpec{Frame: report.Frame{Title: title,
				XLabel: "epoch", YLabel: unit}, Series: arrays, Marks: true})
			if err != nil {
				return nil, err
			}
			sec.SVGs = append(sec.SVGs, svg)
		}
		secs = append(secs, sec)
	}
	return secs, nil
}

// arrayCostSeries is a co-design stage's expected cost on each candidate array per epoch (nil without
// co-design), given the arrays in turn at the stage's start (nil: all), and the arrays in turn at its
// end for the next stage. Under Config.ArrayHalving an array's line stops after the last epoch it took
// turns in: the epochs after one whose summary left it out of arrays_left, in this stage or, halving
// from the micro stage, in the one before (an array the micro stage dropped has no channel line).
func arrayCostSeries(cfg *search.Config, lines []search.Metric, inTurn []string) ([]report.Series, []string) {
	arrays := make([]report.Series, len(cfg.Arrays))
	for k, a := range cfg.Arrays {
		arrays[k].Name = a.String()
	}
	for _, m := range lines {
		if m.Phase != "epoch" || len(m.ArrayCosts) != len(arrays) {
			continue
		}
		for k, c := range m.ArrayCosts {
			if inTurn == nil || slices.Contains(inTurn, arrays[k].Name) {
				arrays[k].X, arrays[k].Y = append(arrays[k].X, float64(m.Epoch)), append(arrays[k].Y, c)
			}
		}
		if m.ArraysLeft != nil {
			inTurn = m.ArraysLeft
		}
	}
	return arrays, inTurn
}

// trainSection plots the final training's loss and accuracies.
func trainSection(path string) (report.Section, error) {
	lines, err := readLines[train.MetricsLine](path)
	if err != nil {
		return report.Section{}, err
	}
	loss := report.Series{Name: "training loss (running mean)"}
	acc := report.Series{Name: "train accuracy"}
	val := report.Series{Name: "validation accuracy"}
	for _, m := range lines {
		loss.X, loss.Y = append(loss.X, m.Epoch), append(loss.Y, m.LossAvg)
		acc.X, acc.Y = append(acc.X, m.Epoch), append(acc.Y, m.TrainAccuracy)
		if m.ValAccuracy != nil {
			val.X, val.Y = append(val.X, m.Epoch), append(val.Y, *m.ValAccuracy)
		}
	}
	sec := report.Section{Heading: "Final training", Text: "The searched network trained from scratch."}
	if len(loss.X) == 0 {
		return sec, nil
	}
	l, err := report.LinePlot(report.LineSpec{Frame: report.Frame{Title: "loss", XLabel: "epoch", YLabel: "cross-entropy"}, Series: []report.Series{loss}})
	if err != nil {
		return sec, err
	}
	accs := []report.Series{acc}
	if len(val.X) > 0 {
		accs = append(accs, val)
	}
	a, err := report.LinePlot(report.LineSpec{Frame: report.Frame{Title: "accuracy", XLabel: "epoch", YLabel: "accuracy"}, Series: accs, Marks: true})
	if err != nil {
		return sec, err
	}
	sec.SVGs = [][]byte{l, a}
	return sec, nil
}

// widthSection is the "why these widths" table: the whole network's simulated latency and utilization
// with each searched width moved one option down and up, against the searched network's.
func widthSection(res *Result) report.Section {
	base := res.Simulator
	t := &report.Table{
		Title:  "Why these widths",
		Header: []string{"layer", "searched width", "moved to", "multiple of the array's columns", "sim latency µs", "change", "sim util"},
		Notes: []string{fmt.Sprintf("The searched network: %s µs at %s simulated utilization (batch 1, %s). Each row moves one layer's width one option of the search's grid, everything else as searched.",
			report.Fixed(1e3*base.LatencyMs, 2), report.Percent(base.Utilization, 1), res.Accelerator.Shape())},
	}
	for _, m := range res.WidthMoves {
		grid := "no"
		if m.OnGrid {
			grid = "yes"
		}
		change := "-"
		if base.LatencyMs > 0 {
			change = fmt.Sprintf("%+.1f%%", 100*(m.LatencyMs/base.LatencyMs-1))
		}
		t.Rows = append(t.Rows, []string{m.Layer, fmt.Sprint(m.Width), fmt.Sprint(m.To), grid,
			report.Fixed(1e3*m.LatencyMs, 2), change, report.Percent(m.Utilization, 1)})
	}
	return report.Section{Heading: "Why these widths", Table: t,
		Text: "How the array would run the same network with each searched width moved to its neighbours on the channel grid: a move off a multiple of the array's columns adds a column tile."}
}
