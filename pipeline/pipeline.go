// Package pipeline is uboost's end-to-end run — the one `uboost search` performs: the micro-architecture
// stage, the channel stage, final training of the derived network from scratch, evaluation on the test
// split, and pricing the result with the exact model and the cycle-level simulator at batch 1 on the
// accelerator it was searched for. It writes one run directory:
//
//	config.json    the search and training configuration
//	micro/         the micro stage (checkpoints, metrics.jsonl, genotype.json, arch.json)
//	channel/       the channel stage (checkpoints, metrics.jsonl, widths.json, arch.json)
//	arch.json      the searched network
//	train/         final training (config.json, checkpoints, metrics.jsonl, result.json)
//	result.json    Result, written last: its presence means the run is complete
//	codesign/      with Config.Refine, the co-design search whose chosen array the stages above search
//	               alone (its micro/, channel/, arch.json)
//	report.html    the network drawn, per-layer utilization, training curves, op probabilities, tables
//
// Every stage checkpoints; Run with Resume continues each stage where it stopped and reuses stages that
// finished, so a crash or Ctrl-C loses at most one checkpoint interval of one stage.
package pipeline

import (
	stdctx "context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	gtrain "github.com/gomlx/gomlx/pkg/ml/train"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/data"
	"github.com/uboost/uboost/internal/jsonfile"
	"github.com/uboost/uboost/internal/runconfig"
	"github.com/uboost/uboost/internal/runlock"
	"github.com/uboost/uboost/search"
	"github.com/uboost/uboost/sim"
	"github.com/uboost/uboost/train"
)

// Files and directories of a run.
const (
	ConfigFile  = "config.json"
	ArchFile    = "arch.json"
	ResultFile  = "result.json"
	ReportFile  = "report.html"
	MicroDir    = "micro"
	CodesignDir = "codesign"
	ChannelDir  = "channel"
	TrainDir    = "train"
	searchState = "search_seconds.json"
)

// Config is one end-to-end run.
type Config struct {
	// Search is the search configuration (preset, cost model, λ, β, accelerator, epochs).
	Search *search.Config `json:"search"`
	// Train is the final-training recipe.
	Train train.Config `json:"train"`
	// Data is the --data spec; Seed drives the data split, the search and the training.
	Data string `json:"data"`
	// SearchData, when set, is the --search-data spec the search runs on instead of Data; the searched
	// cells and widths are then derived for Data's input shape and classes, trained and evaluated there
	// (the paper's ImageNet-100 protocol: searched on CIFAR-10 at 32×32, trained at 128×128).
	SearchData string `json:"search_data,omitempty"`
	Seed       int64  `json:"seed"`
	// TrainLimit, when positive, keeps only the first TrainLimit images of the training split (for
	// quick tries and tests); the validation and test splits are unchanged.
	TrainLimit int `json:"train_limit,omitempty"`
	// Sim configures the simulator that measures the result (the protocol picks its schedule).
	Sim sim.Options `json:"sim"`
	// Refine follows a co-design search (Search.Arrays) with a search of the array it chose alone, at
	// the same settings (search.Config.ForArray), and trains that network: two searches' cost for the
	// chosen array's own network, which the co-design's widths fall short of (docs/CODESIGN.md, "The
	// best network for the chosen array"). The co-design search runs in dir/codesign.
	Refine bool `json:"refine,omitempty"`

	// Resume continues the run in the directory. Not part of the configuration.
	Resume bool `json:"-"`
	// Progress receives the search stages' steps; OnLoop the training loop (for a progress bar).
	Progress func(search.Progress) `json:"-"`
	OnLoop   func(*gtrain.Loop)    `json:"-"`
	// Warn receives one-line warnings (a broken checkpoint set aside on resume).
	Warn func(string) `json:"-"`
}

// Metrics are a network's figures under one cost model at batch 1.
type Metrics struct {
	LatencyMs   float64 `json:"latency_ms"`
	Cycles      int64   `json:"cycles"`
	Utilization float64 `json:"utilization"`
	// EnergyUJ is the network's energy in µJ and EDP its energy–delay product in µJ·ms (cost.Total).
	EnergyUJ float64 `json:"energy_uj"`
	EDP      float64 `json:"edp"`
}

func metricsOf(r *cost.Report) Metrics {
	t := r.Total
	return Metrics{LatencyMs: t.LatencyMs, Cycles: t.Cycles, Utilization: t.Utilization, EnergyUJ: t.EnergyUJ, EDP: t.EDP}
}

// Result is result.json.
type Result struct {
	TestAccuracy float64 `json:"test_accuracy"`
	Top5         float64 `json:"top5"`
	Params       int64   `json:"params"`
	// Exact and Simulator price the searched network at batch 1 on the accelerator it was searched for,
	// Simulator with the run's schedule (Config.Sim); SimulatorDefault with the simulator's default
	// schedule, when the run's is another, so that both figures are kept.
	Exact            Metrics            `json:"exact"`
	Simulator        Metrics            `json:"simulator"`
	SimulatorDefault *Metrics           `json:"simulator_default_schedule,omitempty"`
	Accelerator      *accel.Accelerator `json:"accelerator"`
	// Method is the search's cost model; Lambda, Beta, Seed and Preset the rest of its identity.
	Method string  `json:"method"`
	Lambda float64 `json:"lambda"`
	Beta   float64 `json:"beta"`
	Seed   int64   `json:"seed"`
	Preset string  `json:"preset"`
	// Widths are the output channels of the channel-searched convolutions of the final network.
	Widths []int `json:"widths"`
	// WidthMoves are the simulator's figures for the network with each searched width moved one
	// option down and up the channel grid (WidthMoves): why the search kept the widths it kept.
	WidthMoves []WidthMove `json:"width_moves,omitempty"`
	// Codesign, under Config.Refine, is the co-design search that chose Accelerator's array.
	Codesign *CodesignSearch `json:"codesign,omitempty"`
	// SearchSeconds is the search's wall time over all sessions, under Config.Refine both searches'.
	SearchSeconds float64 `json:"search_seconds"`
	TrainSeconds  float64 `json:"train_seconds"`
	// Protocol is the protocol the run's settings started from; Settings are all of them as resolved
	// (search, training, data, simulator).
	Protocol string  `json:"protocol"`
	Settings *Config `json:"settings,omitempty"`
}

// CodesignSearch is what result.json records of the co-design search a refined run starts with.
type CodesignSearch struct {
	// Arrays are the candidates and Array the one chosen ("RxC"); Arch is the co-design's own network.
	Arrays  []search.ArrayShape `json:"arrays"`
	Array   string              `json:"array"`
	Arch    string              `json:"arch"`
	Seconds float64             `json:"seconds"`
}

// Run performs the whole pipeline into dir (see the package doc) and returns its result.
func Run(ctx stdctx.Context, cfg Config, dir string) (*Result, error) {
	if err := cfg.Search.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.Train.Validate(); err != nil {
		return nil, err
	}
	if err := checkHardware(cfg); err != nil {
		return nil, err
	}
	if cfg.Refine && len(cfg.Search.Arrays) == 0 {
		return nil, fmt.Errorf("config: field \"refine\": follows a co-design search; give candidate arrays (--arrays or --pe-budget)")
	}
	lock, err := runlock.Acquire(dir)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	if err := prepare(cfg, dir); err != nil {
		return nil, err
	}
	ds, err := cfg.Open(cfg.Data)
	if err != nil {
		return nil, err
	}
	searchDS := ds
	if cfg.SearchData != "" {
		if searchDS, err = cfg.Open(cfg.SearchData); err != nil {
			return nil, fmt.Errorf("search data: %w", err)
		}
	}
	searched := cfg // the search whose network is trained: under Refine, of the chosen array alone
	var codesign *CodesignSearch
	if cfg.Refine {
		if searched, codesign, err = refine(ctx, cfg, searchDS, ds, dir); err != nil {
			return nil, err
		}
	}
	net, secs, err := Search(ctx, searched, searchDS, ds, dir)
	if err != nil {
		return nil, err
	}
	tcfg := cfg.Train
	tcfg.Data = cfg.Data
	tcfg.OnLoop, tcfg.Warn = cfg.OnLoop, cfg.Warn
	tdir := filepath.Join(dir, TrainDir)
	_, statErr := os.Stat(filepath.Join(tdir, train.ConfigFile))
	tcfg.Resume = cfg.Resume && statErr == nil
	tres, err := train.Run(ctx, tcfg, net, ds, tdir)
	if err != nil {
		return nil, fmt.Errorf("final training: %w", err)
	}
	res, reports, err := Measure(searched.Search, cfg.Sim, net)
	if err != nil {
		return nil, err
	}
	res.TestAccuracy, res.Top5, res.Params = tres.TestAccuracy, tres.Top5, tres.Params
	res.Seed, res.SearchSeconds, res.TrainSeconds = cfg.Seed, secs, tres.TrainSeconds
	if codesign != nil {
		res.Codesign, res.SearchSeconds = codesign, secs+codesign.Seconds
	}
	res.Settings = &cfg
	if res.Widths, err = searchedWidths(dir, net); err != nil {
		return nil, err
	}
	if res.WidthMoves, err = widthMovesOf(dir, searched, net, res.Accelerator); err != nil {
		return nil, err
	}
	if err := writeReport(dir, cfg, searched.Search, net, res, reports); err != nil {
		return nil, err
	}
	return res, jsonfile.Write(filepath.Join(dir, ResultFile), res)
}

// refine runs, or under Resume reloads, the co-design search of cfg in dir/codesign and returns the
// configuration of the search that follows it, of the chosen array alone, into dir.
func refine(ctx stdctx.Context, cfg Config, ds, target *data.Dataset, dir string) (Config, *CodesignSearch, error) {
	sub := filepath.Join(dir, CodesignDir)
	first := cfg
	if show := cfg.Progress; show != nil { // the two searches' steps told apart: "codesign/micro"
		first.Progress = func(p search.Progress) {
			p.Stage = search.Stage(CodesignDir + "/" + string(p.Stage))
			show(p)
		}
	}
	net, secs, err := Search(ctx, first, ds, target, sub)
	if err != nil {
		return cfg, nil, fmt.Errorf("co-design search: %w", err)
	}
	chosen, err := chosenArray(net)
	if err == nil && chosen == nil {
		err = fmt.Errorf("search field %q: missing", search.ArrayKey)
	}
	if err != nil {
		return cfg, nil, fmt.Errorf("%s: %w", filepath.Join(sub, ArchFile), err)
	}
	alone := cfg
	alone.Search = cfg.Search.ForArray(*chosen)
	return alone, &CodesignSearch{Arrays: cfg.Search.Arrays, Array: chosen.String(), Arch: filepath.Join(CodesignDir, ArchFile), Seconds: secs}, nil
}

// SearchedAccelerator is the accelerator net was searched for: scfg's, with the array a co-design
// search chose (arch.json's search.array) when scfg has candidate arrays. It is a copy; scfg's is
// left as it is.
func SearchedAccelerator(scfg *search.Config, net *arch.Network) (*accel.Accelerator, error) {
	a := *scfg.Accel
	if len(scfg.Arrays) > 0 {
		chosen, err := chosenArray(net)
		if err != nil {
			return nil, fmt.Errorf("arch.json %w", err)
		}
		if chosen != nil {
			chosen.Set(&a)
		}
	}
	return &a, nil
}

// chosenArray is the array a co-design search chose for net, recorded in its search block (arch.json's
// search.array), or nil when there is none.
func chosenArray(net *arch.Network) (*search.ArrayShape, error) {
	chosen, ok := net.Search[search.ArrayKey].(string)
	if !ok {
		return nil, nil
	}
	s, err := accel.ParseArrayShape(chosen)
	if err != nil {
		return nil, fmt.Errorf("search field %q: %w", search.ArrayKey, err)
	}
	return &s, nil
}

// Open opens a data set spec with the run's seed and validation fraction, keeping TrainLimit training
// images when set.
func (cfg Config) Open(spec string) (*data.Dataset, error) {
	ds, err := data.Open(spec, data.Options{Seed: uint64(cfg.Seed), ValFraction: cfg.Train.ValFraction})
	if err != nil {
		return nil, err
	}
	if cfg.TrainLimit > 0 {
		ds.Train = ds.Train.Take(cfg.TrainLimit)
	}
	return ds, nil
}

// prepare creates the run directory and its config.json, or checks a resumed one.
func prepare(cfg Config, dir string) error {
	path := filepath.Join(dir, ConfigFile)
	if _, err := os.Stat(path); err == nil {
		if !cfg.Resume {
			return fmt.Errorf("%s already holds a run; give --resume to continue it or choose another --out", dir)
		}
		if err := runconfig.Check(path, cfg, resumableFields()...); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return jsonfile.Write(path, cfg)
}

// Search runs the micro and channel stages on ds into dir (reusing finished stages when resuming),
// derives the network for target's input shape and classes (target may be ds), writes dir/arch.json
// and returns the network and the search's wall time over all sessions. ctx cancels it between steps.
func Search(ctx stdctx.Context, cfg Config, ds, target *data.Dataset, dir string) (*arch.Network, float64, error) {
	var spent struct {
		Seconds float64 `json:"seconds"`
	}
	statePath := filepath.Join(dir, searchState)
	if cfg.Resume {
		if err := jsonfile.Read(statePath, &spent); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, 0, err
		}
		if net, err := arch.Load(filepath.Join(dir, ArchFile)); err == nil && stagesComplete(dir) {
			return net, spent.Seconds, nil
		}
	}
	start := time.Now()
	opt := search.RunOptions{Resume: cfg.Resume, Progress: cfg.Progress, Warn: cfg.Warn, Context: ctx}
	micro, err := MicroStage(cfg.Search, ds, dir, opt)
	if err != nil {
		return nil, 0, err
	}
	ch, err := ChannelStage(cfg.Search, ds, micro.Genotype, dir, opt)
	if err != nil {
		return nil, 0, err
	}
	spent.Seconds += time.Since(start).Seconds()
	if err := jsonfile.Write(statePath, spent); err != nil {
		return nil, 0, err
	}
	net := ch.Network
	if target != ds {
		in := arch.Shape{H: target.H, W: target.W, C: target.C}
		if net, err = search.Derive(cfg.Search, in, len(target.Classes), ch.Genotype, ch.Widths); err != nil {
			return nil, 0, fmt.Errorf("deriving the searched network for %s: %w", cfg.Data, err)
		}
		net.Search = ch.Network.Search
		net.Search["search_data"] = cfg.SearchData
		net.Search["data"] = cfg.Data
	}
	return net, spent.Seconds, net.Save(filepath.Join(dir, ArchFile))
}

// MicroStage runs the micro stage into dir/micro, or with opt.Resume reloads it when it has finished.
func MicroStage(cfg *search.Config, ds *data.Dataset, dir string, opt search.RunOptions) (*search.MicroResult, error) {
	sub := filepath.Join(dir, MicroDir)
	if opt.Resume {
		if err := checkStageConfig(sub, cfg); err != nil {
			return nil, err
		}
		g, gErr := search.LoadGenotype(filepath.Join(sub, search.GenotypeFile))
		net, nErr := arch.Load(filepath.Join(sub, search.ArchFile))
		if gErr == nil && nErr == nil {
			return &search.MicroResult{Genotype: g, Network: net}, nil
		}
		if gErr != nil && !errors.Is(gErr, os.ErrNotExist) {
			return nil, gErr
		}
		if _, err := os.Stat(sub); errors.Is(err, os.ErrNotExist) {
			opt.Resume = false // nothing to resume: start the stage
		}
	}
	return search.RunMicro(cfg, ds.Train, sub, opt)
}

// ChannelStage runs the channel stage with the ops of g into dir/channel, or with opt.Resume reloads
// it when it has finished.
func ChannelStage(cfg *search.Config, ds *data.Dataset, g *search.Genotype, dir string, opt search.RunOptions) (*search.ChannelResult, error) {
	sub := filepath.Join(dir, ChannelDir)
	if opt.Resume {
		if err := checkStageConfig(sub, cfg); err != nil {
			return nil, err
		}
		net, err := arch.Load(filepath.Join(sub, search.ArchFile))
		if err == nil {
			var w search.Widths
			if err := jsonfile.Read(filepath.Join(sub, search.WidthsFile), &w); err != nil {
				return nil, err
			}
			return &search.ChannelResult{Genotype: g, Widths: w, Network: net}, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		if _, err := os.Stat(sub); errors.Is(err, os.ErrNotExist) {
			opt.Resume = false
		}
	}
	return search.RunChannel(cfg, ds.Train, g, sub, opt)
}

// Measure prices net at batch 1 on the search's accelerator (with the array a co-design search chose,
// recorded in net's search block) with the exact model and the simulator with options opt (and, when
// opt is not the default schedule, with the default one too), and fills the hardware half of a Result.
func Measure(scfg *search.Config, opt sim.Options, net *arch.Network) (*Result, [2]*cost.Report, error) {
	var reports [2]*cost.Report
	a, err := SearchedAccelerator(scfg, net) // a copy, so the batch is set on it alone
	if err != nil {
		return nil, reports, err
	}
	a.WithBatch(1)
	layers, err := net.Layers()
	if err != nil {
		return nil, reports, err
	}
	for i, m := range []cost.Model{cost.Systolic(), cost.NewSimulator(opt)} {
		if reports[i], err = m.Estimate(a, layers); err != nil {
			return nil, reports, fmt.Errorf("%s: %w", m.Name(), err)
		}
		reports[i].Network = net.Name
	}
	res := &Result{
		Exact: metricsOf(reports[0]), Simulator: metricsOf(reports[1]), Accelerator: a,
		Method: scfg.Cost, Lambda: scfg.Lambda, Beta: scfg.Beta, Preset: scfg.Preset, Protocol: scfg.Protocol,
	}
	if opt != (sim.Options{}) {
		r, err := cost.NewSimulator(sim.Options{}).Estimate(a, layers)
		if err != nil {
			return nil, reports, fmt.Errorf("simulator (default schedule): %w", err)
		}
		m := metricsOf(r)
		res.SimulatorDefault = &m
	}
	return res, reports, nil
}

// searchedWidths returns the channel stage's width choices (dir/channel/widths.json) of the layers net
// still has, in layer-name order: Derive prunes dead cells, whose widths were searched but never run.
func searchedWidths(dir string, net *arch.Network) ([]int, error) {
	var w search.Widths
	if err := jsonfile.Read(filepath.Join(dir, ChannelDir, search.WidthsFile), &w); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(w))
	for _, n := range net.Nodes {
		if _, ok := w[n.Name]; ok {
			names = append(names, n.Name)
		}
	}
	sort.Strings(names)
	widths := make([]int, len(names))
	for i, n := range names {
		widths[i] = w[n]
	}
	return widths, nil
}
