package pipeline

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sort"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/internal/jsonfile"
	"github.com/uboost/uboost/search"
	"github.com/uboost/uboost/sim"
)

// WidthMove is the searched network measured with one searched layer's width moved to a neighbouring
// option of the channel grid, everything else as searched: a one-glance answer to "why this width".
type WidthMove struct {
	Layer string `json:"layer"`
	// Width is the searched width; To the width tried instead, OnGrid whether To is a multiple of the
	// array's columns.
	Width  int  `json:"width"`
	To     int  `json:"to"`
	OnGrid bool `json:"on_grid"`
	// LatencyMs and Utilization are the simulator's figures for the whole network with the move.
	LatencyMs   float64 `json:"latency_ms"`
	Utilization float64 `json:"utilization"`
}

// WidthMoves prices, with the simulator (options opt) on a, the network derived from genotype g with
// each searched width that net still has moved in turn one option down and one option up the search's
// channel grid (cfg.Channels). Layers come in name order, the smaller width first.
func WidthMoves(cfg *search.Config, opt sim.Options, a *accel.Accelerator, net *arch.Network, g *search.Genotype, widths search.Widths) ([]WidthMove, error) {
	var names []string
	for _, n := range net.Nodes {
		if _, ok := widths[n.Name]; ok {
			names = append(names, n.Name)
		}
	}
	sort.Strings(names)
	model := cost.NewSimulator(opt)
	var moves []WidthMove
	for _, name := range names {
		w := widths[name]
		i := slices.Index(cfg.Channels, w)
		if i < 0 {
			return nil, fmt.Errorf("width %d of %s is not among the search's options %v", w, name, cfg.Channels)
		}
		for _, j := range []int{i - 1, i + 1} {
			if j < 0 || j >= len(cfg.Channels) {
				continue
			}
			moved := maps.Clone(widths)
			moved[name] = cfg.Channels[j]
			alt, err := search.Derive(cfg, net.Input, net.Classes, g, moved)
			if err != nil {
				return nil, fmt.Errorf("%s at width %d: %w", name, cfg.Channels[j], err)
			}
			layers, err := alt.Layers()
			if err != nil {
				return nil, err
			}
			r, err := model.Estimate(a, layers)
			if err != nil {
				return nil, fmt.Errorf("%s at width %d: %w", name, cfg.Channels[j], err)
			}
			moves = append(moves, WidthMove{Layer: name, Width: w, To: cfg.Channels[j], OnGrid: cfg.Channels[j]%a.Cols == 0,
				LatencyMs: r.Total.LatencyMs, Utilization: r.Total.Utilization})
		}
	}
	return moves, nil
}

// widthMovesOf runs WidthMoves on a finished run directory's genotype and widths, measuring as Measure
// does (cfg.Sim on a, batch 1).
func widthMovesOf(dir string, cfg Config, net *arch.Network, a *accel.Accelerator) ([]WidthMove, error) {
	g, err := search.LoadGenotype(filepath.Join(dir, MicroDir, search.GenotypeFile))
	if err != nil {
		return nil, err
	}
	var w search.Widths
	if err := jsonfile.Read(filepath.Join(dir, ChannelDir, search.WidthsFile), &w); err != nil {
		return nil, err
	}
	return WidthMoves(cfg.Search, cfg.Sim, a, net, g, w)
}
