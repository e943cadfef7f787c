package report

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/sim"
)

// LayerTable tabulates a cost report: one row per layer that occupies the array (name, op, GEMM, MACs,
// cycles, latency in ms, utilization in %, energy in µJ) and a last "total" row with the network's
// MAC-weighted utilization and its energy. Zero-cycle layers (pooling, BN, activations, add) are left out and counted in a note.
func LayerTable(r *cost.Report) *Table {
	t := &Table{
		Title:  fmt.Sprintf("%s: per-layer cost (%s model)", r.Network, r.Model),
		Header: []string{"layer", "op", "gemm", "MACs", "cycles", "latency_ms", "utilization", "energy_uj"},
	}
	if r.Network == "" {
		t.Title = fmt.Sprintf("per-layer cost (%s model)", r.Model)
	}
	skipped := 0
	for _, l := range r.Layers {
		if l.Cycles == 0 {
			skipped++
			continue
		}
		t.Rows = append(t.Rows, []string{l.Name, string(l.Op), l.GEMM,
			strconv.FormatInt(l.MACs, 10), strconv.FormatInt(l.Cycles, 10),
			Fixed(l.LatencyMs, 4), Percent(l.Utilization, 1), Fixed(l.EnergyUJ, 3)})
	}
	tot := r.Total
	util := Missing
	if tot.Cycles > 0 {
		util = Percent(tot.Utilization, 1)
	}
	t.Rows = append(t.Rows, []string{"total", "", "", strconv.FormatInt(tot.MACs, 10),
		strconv.FormatInt(tot.Cycles, 10), Fixed(tot.LatencyMs, 4), util, Fixed(tot.EnergyUJ, 3)})
	if r.Accelerator != nil {
		t.Notes = append(t.Notes, "Accelerator: "+r.Accelerator.String()+".")
	}
	t.Notes = append(t.Notes, "Total utilization is MAC-weighted: total MACs over (total cycles · R · C).",
		"Energy prices each layer's MACs, PE register, SRAM and DRAM accesses and idle PE-cycles with the accelerator's per-access energies (docs/COSTMODEL.md, Energy).")
	if skipped > 0 {
		t.Notes = append(t.Notes, fmt.Sprintf("%d zero-cycle layers (pooling, BN, activations, add) are not listed.", skipped))
	}
	return t
}

// BreakdownParts names the parts of a PE-cycle breakdown in the order UtilizationBars stacks them, as
// sim.Breakdown's JSON spells them.
var BreakdownParts = []string{"active", "weight_stall", "fill_drain", "unused_rows", "unused_cols", "memory_stall"}

// breakdownValues returns b's parts in BreakdownParts order.
func breakdownValues(b sim.Breakdown) []int64 {
	return []int64{b.Active, b.WeightStall, b.FillDrain, b.UnusedRows, b.UnusedCols, b.MemoryStall}
}

// UtilizationBars returns a bar plot of each array-occupying layer's utilization (layers with zero
// cycles are left out). When every such layer carries a simulator breakdown, each bar is instead the
// stack of its PE-cycle parts as fractions of the layer's PE-cycles, so the "active" part is the
// utilization and the whole bar reaches 1.
func UtilizationBars(r *cost.Report) BarSpec {
	s := BarSpec{Frame: Frame{
		Title:  fmt.Sprintf("%s: utilization per layer (%s model)", r.Network, r.Model),
		YLabel: "fraction of PE-cycles",
		YMin:   0, YMax: 1,
	}}
	if r.Network == "" {
		s.Title = fmt.Sprintf("utilization per layer (%s model)", r.Model)
	}
	var used []cost.LayerCost
	withBD := true
	for _, l := range r.Layers {
		if l.Cycles > 0 {
			used = append(used, l)
			withBD = withBD && l.Breakdown != nil && l.Breakdown.Sum() > 0
		}
	}
	for _, l := range used {
		s.Labels = append(s.Labels, l.Name)
	}
	if !withBD || len(used) == 0 {
		u := BarPart{Name: "utilization"}
		for _, l := range used {
			u.Values = append(u.Values, l.Utilization)
		}
		s.YLabel = "utilization"
		s.Parts = []BarPart{u}
		return s
	}
	s.Parts = make([]BarPart, len(BreakdownParts))
	for i, name := range BreakdownParts {
		s.Parts[i].Name = name
	}
	for _, l := range used {
		total := float64(l.Breakdown.Sum())
		for i, v := range breakdownValues(*l.Breakdown) {
			s.Parts[i].Values = append(s.Parts[i].Values, float64(v)/total)
		}
	}
	return s
}

// CostSection is a page section for one cost report: a one-paragraph summary of the totals, the layer
// table and the per-layer utilization (or PE-cycle breakdown) bars.
func CostSection(r *cost.Report) (Section, error) {
	bars, err := BarPlot(UtilizationBars(r))
	if err != nil && !errors.Is(err, errNoData) {
		return Section{}, err
	}
	s := Section{
		Heading: fmt.Sprintf("Cost (%s model)", r.Model),
		Text: fmt.Sprintf("%s MACs in %d cycles: %s ms at %s utilization (MAC-weighted), %s µJ, energy–delay product %s µJ·ms.",
			SI(float64(r.Total.MACs), 2), r.Total.Cycles, Fixed(r.Total.LatencyMs, 4), Percent(r.Total.Utilization, 1),
			Fixed(r.Total.EnergyUJ, 3), Fixed(r.Total.EDP, 4)),
		Table: LayerTable(r),
	}
	if r.Network != "" {
		s.Heading = fmt.Sprintf("%s: cost (%s model)", r.Network, r.Model)
	}
	if bars != nil {
		s.SVGs = [][]byte{bars}
	}
	return s, nil
}

// UtilizationAnnotator returns an annotate function for NetworkSVG that labels each node occupying the
// array with its utilization from the report ("util 87%"), matching nodes to layers by name, as
// arch.Network.Layers names them.
func UtilizationAnnotator(r *cost.Report) func(node string) string {
	util := map[string]float64{}
	for _, l := range r.Layers {
		if l.Cycles > 0 {
			util[l.Name] = l.Utilization
		}
	}
	return func(node string) string {
		u, ok := util[node]
		if !ok {
			return ""
		}
		return "util " + Percent(u, 0)
	}
}
