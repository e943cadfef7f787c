// Package validation measures how far the analytical cost models of package cost are from the
// cycle-level simulator of package sim: over the zoo networks at several batches and array sizes, and
// over a sweep of conv layers whose channel counts cross array-size boundaries. It reports per model the
// mean and maximum absolute percent error in cycles, utilization and energy and the Spearman rank
// correlation of cycle counts, and draws utilization against channels (exact, smooth and simulated).
//
// It sits above cost and sim (it imports both) and below cmd/uboost, whose validate command prints it.
package validation

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/gonum/stat"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/sim"
)

// Set names which family of cases a result belongs to.
const (
	// Networks are the zoo networks, stem to classifier, compared on their totals.
	Networks = "networks"
	// ConvGrid are single k×k convs c→c on a spatial×spatial output, one per channel count.
	ConvGrid = "conv-grid"
)

// Size is an array size: R×C, or N arrays of R×C.
type Size = accel.ArrayShape

// Config says what to compare. Base supplies the clock, bandwidth, SRAM, element size and weight
// buffering; its array size and batch are replaced by each case's.
type Config struct {
	Base      *accel.Accelerator
	Sizes     []Size
	Batches   []int
	Networks  []string
	Models    []string
	Simulator []sim.Options
	// GridChannels are the channel counts c of the conv sweep (input and output channels both c).
	GridChannels []int
	// GridKernels are its kernel sizes k (k×k, stride 1).
	GridKernels []int
	// GridSpatial is the output height and width of each sweep conv; it runs at batch 1.
	GridSpatial int
}

// DefaultConfig is the validation the issue asks for: every zoo network at batch 1 and 16, and 1×1 and
// 3×3 convs with 16..512 channels in steps of 16 on a 14×14 output, on 32×32, 128×128 and 256×256
// arrays; every analytical model against the simulator with ideal memory, with the base's memory, and
// with ideal memory and overlapping folds.
func DefaultConfig() Config {
	var channels []int
	for c := 16; c <= 512; c += 16 {
		channels = append(channels, c)
	}
	var models []string
	for _, e := range cost.Entries() {
		if !e.FromSimulator {
			models = append(models, e.Name)
		}
	}
	return Config{
		Base:         accel.Default(),
		Sizes:        []Size{{Rows: 32, Cols: 32}, {Rows: 128, Cols: 128}, {Rows: 256, Cols: 256}},
		Batches:      []int{1, 16},
		Networks:     arch.ZooNames(),
		Models:       models,
		Simulator:    []sim.Options{{IdealMemory: true}, {}, {IdealMemory: true, OverlapFolds: true}},
		GridChannels: channels,
		GridKernels:  []int{1, 3},
		GridSpatial:  14,
	}
}

// SimName labels a simulator setting: "sim-ideal-memory" or "sim-memory", with "-overlap" for
// overlapping folds.
func SimName(o sim.Options) string {
	s := "sim-memory"
	if o.IdealMemory {
		s = "sim-ideal-memory"
	}
	if o.OverlapFolds {
		s += "-overlap"
	}
	return s
}

// Point is one model's (or one simulator setting's) verdict on a case.
type Point struct {
	Cycles      int64   `json:"cycles"`
	Utilization float64 `json:"utilization"`
	EnergyUJ    float64 `json:"energy_uj"`
}

// Case is one network or conv layer on one array at one batch, priced by every model and simulated.
type Case struct {
	Set       string           `json:"set"`
	Name      string           `json:"name"`
	Size      Size             `json:"array"`
	Batch     int              `json:"batch"`
	Kernel    int              `json:"kernel,omitempty"`
	Channels  int              `json:"channels,omitempty"`
	MACs      int64            `json:"macs"`
	Simulated map[string]Point `json:"simulated"`
	Models    map[string]Point `json:"models"`
	// Refused holds, by model, why a model declined the case: a layer beyond its smooth ceiling's
	// range (cost.ErrBeyondCeiling), which it would otherwise price as if it had fewer tiles.
	Refused map[string]string `json:"refused,omitempty"`
}

// ModelError summarizes one model against one simulator setting over one set of cases.
type ModelError struct {
	Set       string `json:"set"`
	Simulator string `json:"simulator"`
	Model     string `json:"model"`
	Cases     int    `json:"cases"`
	// Refused counts the set's cases the model declined (Case.Refused), left out of Cases.
	Refused int `json:"refused,omitempty"`
	// Cycle errors, |model − sim| / sim, in percent.
	CyclesMeanAPE float64 `json:"cycles_mean_ape"`
	CyclesMaxAPE  float64 `json:"cycles_max_ape"`
	// Utilization errors, |model − sim| / sim, in percent.
	UtilMeanAPE float64 `json:"util_mean_ape"`
	UtilMaxAPE  float64 `json:"util_max_ape"`
	// Utilization errors in percentage points, |model − sim| · 100.
	UtilMeanAbsPP float64 `json:"util_mean_abs_pp"`
	UtilMaxAbsPP  float64 `json:"util_max_abs_pp"`
	// Energy errors, |model − sim| / sim, in percent (the model's closed-form accesses at its own
	// cycles, the simulator's counted ones).
	EnergyMeanAPE float64 `json:"energy_mean_ape"`
	EnergyMaxAPE  float64 `json:"energy_max_ape"`
	// Spearman rank correlation of cycles, model vs simulator, within each group of cases that differ
	// only in the network (networks: per array size and batch) or the channels (conv grid: per array
	// size and kernel); the mean and the worst over the groups.
	SpearmanMean float64 `json:"spearman_mean"`
	SpearmanMin  float64 `json:"spearman_min"`
	Groups       int     `json:"groups"`
}

// Report is a whole validation.
type Report struct {
	Accelerator *accel.Accelerator `json:"accelerator"`
	Errors      []ModelError       `json:"errors"`
	Cases       []Case             `json:"cases"`
}

// Run prices and simulates every case of cfg and summarizes the errors.
func Run(cfg Config) (*Report, error) {
	if cfg.Base == nil {
		return nil, fmt.Errorf("validation: no base accelerator")
	}
	models := make([]cost.Model, len(cfg.Models))
	for i, name := range cfg.Models {
		m, err := cost.ByName(name)
		if err != nil {
			return nil, err
		}
		models[i] = m
	}
	if len(cfg.Simulator) == 0 {
		return nil, fmt.Errorf("validation: no simulator setting")
	}
	if cfg.GridSpatial <= 0 && len(cfg.GridChannels) > 0 {
		return nil, fmt.Errorf("validation: grid spatial size %d, want a positive integer", cfg.GridSpatial)
	}
	nets := make([][]accel.Layer, len(cfg.Networks))
	for i, name := range cfg.Networks {
		n, err := arch.ZooNetwork(name)
		if err != nil {
			return nil, err
		}
		if nets[i], err = n.Layers(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	rep := &Report{Accelerator: cfg.Base}
	for _, size := range cfg.Sizes {
		for _, batch := range cfg.Batches {
			for i, name := range cfg.Networks {
				c, err := price(cfg, models, Case{Set: Networks, Name: name, Size: size, Batch: batch}, nets[i])
				if err != nil {
					return nil, err
				}
				rep.Cases = append(rep.Cases, c)
			}
		}
		for _, k := range cfg.GridKernels {
			for _, ch := range cfg.GridChannels {
				l := GridConv(k, ch, cfg.GridSpatial)
				c, err := price(cfg, models, Case{Set: ConvGrid, Name: l.Name, Size: size, Batch: 1, Kernel: k, Channels: ch}, []accel.Layer{l})
				if err != nil {
					return nil, err
				}
				rep.Cases = append(rep.Cases, c)
			}
		}
	}
	for _, set := range []string{Networks, ConvGrid} {
		for _, so := range cfg.Simulator {
			for _, m := range cfg.Models {
				if e, ok := summarize(rep.Cases, set, SimName(so), m); ok {
					rep.Errors = append(rep.Errors, e)
				}
			}
		}
	}
	return rep, nil
}

// GridConv is the sweep's k×k conv with c input and c output channels, stride 1, "same" padding, on a
// spatial×spatial output (its input given padded, as in SCALE-Sim topologies).
func GridConv(k, c, spatial int) accel.Layer {
	return accel.Layer{
		Name: fmt.Sprintf("conv%dx%d-c%d", k, k, c), Op: accel.Conv,
		InH: spatial + k - 1, InW: spatial + k - 1, InC: c,
		OutH: spatial, OutW: spatial, OutC: c,
		KH: k, KW: k, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1,
	}
}

// price fills a case: every model's and every simulator setting's totals for layers.
func price(cfg Config, models []cost.Model, c Case, layers []accel.Layer) (Case, error) {
	a := *cfg.Base
	c.Size.Set(&a)
	a.Batch = c.Batch
	where := fmt.Sprintf("%s on %s at batch %d", c.Name, c.Size, c.Batch)
	c.Simulated = map[string]Point{}
	c.Models = map[string]Point{}
	for _, so := range cfg.Simulator {
		r, err := cost.NewSimulator(so).Estimate(&a, layers)
		if err != nil {
			return c, fmt.Errorf("%s: %w", where, err)
		}
		c.MACs = r.Total.MACs
		c.Simulated[SimName(so)] = Point{r.Total.Cycles, r.Total.Utilization, r.Total.EnergyUJ}
	}
	for _, m := range models {
		r, err := m.Estimate(&a, layers)
		if errors.Is(err, cost.ErrBeyondCeiling) {
			if c.Refused == nil {
				c.Refused = map[string]string{}
			}
			c.Refused[m.Name()] = err.Error()
			continue
		}
		if err != nil {
			return c, fmt.Errorf("%s: model %s: %w", where, m.Name(), err)
		}
		c.Models[m.Name()] = Point{r.Total.Cycles, r.Total.Utilization, r.Total.EnergyUJ}
	}
	return c, nil
}

// summarize computes one model's errors against one simulator setting over the cases of a set.
func summarize(cases []Case, set, simName, model string) (ModelError, bool) {
	e := ModelError{Set: set, Simulator: simName, Model: model}
	type pair struct{ m, s float64 }
	groups := map[string][]pair{}
	var keys []string
	for _, c := range cases {
		if c.Set != set {
			continue
		}
		if _, refused := c.Refused[model]; refused {
			e.Refused++
		}
		s, okS := c.Simulated[simName]
		m, okM := c.Models[model]
		if !okS || !okM || s.Cycles == 0 {
			continue
		}
		e.Cases++
		ape := 100 * math.Abs(float64(m.Cycles-s.Cycles)) / float64(s.Cycles)
		e.CyclesMeanAPE += ape
		e.CyclesMaxAPE = math.Max(e.CyclesMaxAPE, ape)
		uape := 100 * math.Abs(m.Utilization-s.Utilization) / s.Utilization
		e.UtilMeanAPE += uape
		e.UtilMaxAPE = math.Max(e.UtilMaxAPE, uape)
		eape := 100 * math.Abs(m.EnergyUJ-s.EnergyUJ) / s.EnergyUJ
		e.EnergyMeanAPE += eape
		e.EnergyMaxAPE = math.Max(e.EnergyMaxAPE, eape)
		pp := 100 * math.Abs(m.Utilization-s.Utilization)
		e.UtilMeanAbsPP += pp
		e.UtilMaxAbsPP = math.Max(e.UtilMaxAbsPP, pp)
		key := fmt.Sprintf("%s/b%d", c.Size, c.Batch)
		if set == ConvGrid {
			key = fmt.Sprintf("%s/k%d", c.Size, c.Kernel)
		}
		if _, ok := groups[key]; !ok {
			keys = append(keys, key)
		}
		groups[key] = append(groups[key], pair{float64(m.Cycles), float64(s.Cycles)})
	}
	if e.Cases == 0 {
		return e, false
	}
	n := float64(e.Cases)
	e.CyclesMeanAPE /= n
	e.UtilMeanAPE /= n
	e.UtilMeanAbsPP /= n
	e.EnergyMeanAPE /= n
	e.SpearmanMin = math.Inf(1)
	for _, k := range keys {
		g := groups[k]
		if len(g) < 2 {
			continue
		}
		x, y := make([]float64, len(g)), make([]float64, len(g))
		for i, p := range g {
			x[i], y[i] = p.m, p.s
		}
		rho := Spearman(x, y)
		e.Groups++
		e.SpearmanMean += rho
		e.SpearmanMin = math.Min(e.SpearmanMin, rho)
	}
	if e.Groups == 0 {
		// No group has two cases to rank (Groups says so); JSON cannot carry NaN.
		e.SpearmanMean, e.SpearmanMin = 0, 0
	} else {
		e.SpearmanMean /= float64(e.Groups)
	}
	return e, true
}

// Spearman returns the Spearman rank correlation of x and y: the Pearson correlation of their ranks,
// tied values sharing the mean of their ranks. Where a side has no spread the correlation is
// undefined; Spearman then returns 1 when neither has any (both rank every case equal) and 0 when only
// one has (it tells nothing about the other's order).
func Spearman(x, y []float64) float64 {
	rx, ry := ranks(x), ranks(y)
	flatX, flatY := stat.Variance(rx, nil) == 0, stat.Variance(ry, nil) == 0
	switch {
	case flatX && flatY:
		return 1
	case flatX || flatY:
		return 0
	}
	return stat.Correlation(rx, ry, nil)
}

// ranks returns 1-based ranks with ties averaged.
func ranks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	r := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && v[idx[j+1]] == v[idx[i]] {
			j++
		}
		mean := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[idx[k]] = mean
		}
		i = j + 1
	}
	return r
}

// ParseSizes parses a comma-separated list of array sizes such as "32x32,128x128".
func ParseSizes(s string) ([]Size, error) {
	var sizes []Size
	for _, f := range strings.Split(s, ",") {
		size, err := accel.ParseArrayShape(f)
		if err != nil {
			return nil, err
		}
		sizes = append(sizes, size)
	}
	return sizes, nil
}
