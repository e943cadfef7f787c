package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/sim"
)

func init() { root.AddCommand(newSimulateCmd()) }

// simulatorFlags are the simulator's settings beyond the accelerator's.
type simulatorFlags struct {
	arrays   int
	prefetch int
	ideal    bool
	overlap  bool
}

// addSimulatorFlags registers --arrays and --ideal-memory on cmd.
func addSimulatorFlags(cmd *cobra.Command) *simulatorFlags {
	f := &simulatorFlags{}
	cmd.Flags().IntVar(&f.arrays, "arrays", 1, "number of R×C arrays sharing the SRAM and the DRAM channel (as --array NxRxC)")
	cmd.Flags().IntVar(&f.prefetch, "prefetch", sim.DefaultPrefetch, "SRAM staging slots per array: tiles whose operands may be on chip at once (2: double buffer)")
	cmd.Flags().BoolVar(&f.ideal, "ideal-memory", false, "remove memory stalls (operands always on chip in time)")
	cmd.Flags().BoolVar(&f.overlap, "overlap-folds", false, "start the next tile's wavefront behind the current one's (TPU-style; double buffering only)")
	return f
}

// Options returns the simulator options the flags give, validated.
func (f *simulatorFlags) Options() (sim.Options, error) {
	opt := sim.Options{Prefetch: f.prefetch, IdealMemory: f.ideal, OverlapFolds: f.overlap}
	if f.prefetch < 2 || f.prefetch > sim.MaxPrefetch {
		return opt, fmt.Errorf("flag --prefetch: want an integer in 2..%d, got %d", sim.MaxPrefetch, f.prefetch)
	}
	return opt, nil
}

func newSimulateCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "simulate (--topology FILE.csv | --arch FILE.json|FILE.onnx|ZOO-NAME) [flags]",
		Short: "Run a network through the cycle-level systolic-array simulator",
		Long: `simulate steps every weight tile of every layer through --arrays R×C weight-stationary arrays:
weights shifted in one row per cycle (the next tile's load hidden behind the current fold when
--weight-buffer is double), input rows injected with the systolic skew, partial sums drained down the
columns, operands fetched from DRAM at --bw-gbs into --sram-mb of SRAM (stalling the array when late)
and outputs written back. It prints per layer and in total the cycles, latency and utilization
(MACs / (cycles · arrays · R · C)), and a breakdown of the PE-cycles into active, weight_stall,
fill_drain, unused_rows, unused_cols and memory_stall that sums to arrays · R · C · cycles.

It takes the same network and accelerator flags as estimate; --json prints the same document with a
"breakdown" and the DRAM "bytes" per layer. The cycle convention and memory policy are in the sim
package documentation (go doc github.com/uboost/uboost/sim).`,
		Args: cobra.NoArgs,
	}
	af := addAcceleratorFlags(cmd)
	nf := addNetworkFlags(cmd)
	sf := addSimulatorFlags(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document instead of a table")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		opt, err := sf.Options()
		if err != nil {
			return err
		}
		a, err := af.Accelerator()
		if err != nil {
			return err
		}
		if cmd.Flags().Changed("arrays") {
			if sf.arrays < 1 || sf.arrays > accel.MaxArrays {
				return fmt.Errorf("flag --arrays: want an integer in 1..%d, got %d", accel.MaxArrays, sf.arrays)
			}
			if a.NumArrays() > 1 && a.NumArrays() != sf.arrays {
				return fmt.Errorf("flag --arrays: %d, but the accelerator (--array or --accel) has %d", sf.arrays, a.NumArrays())
			}
			a.WithArrays(sf.arrays)
		}
		reports, err := priceAll(a, nf, cost.NewSimulator(opt))
		if err != nil {
			return err
		}
		r := reports[0]
		if err := writeReport(cmd, r, asJSON); err != nil || asJSON {
			return err
		}
		return writeBreakdown(cmd, r, opt)
	}
	return cmd
}

// writeBreakdown prints, after the report's table, each array-using layer's PE-cycle breakdown and
// the network's, in percent of its PE-cycles.
func writeBreakdown(cmd *cobra.Command, r *cost.Report, opt sim.Options) error {
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "\nPE-cycle breakdown, %% of %d array(s) · R·C · cycles (memory: %s):\n\n", r.Accelerator.NumArrays(), memoryName(opt))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "layer\tactive\tweight_stall\tfill_drain\tunused_rows\tunused_cols\tmemory_stall\tDRAM MB\t")
	row := func(name string, b *sim.Breakdown, bytes int64) {
		s := float64(b.Sum()) / 100
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.3f\t\n", name,
			float64(b.Active)/s, float64(b.WeightStall)/s, float64(b.FillDrain)/s,
			float64(b.UnusedRows)/s, float64(b.UnusedCols)/s, float64(b.MemoryStall)/s, float64(bytes)/1e6)
	}
	var total int64
	for _, l := range r.Layers {
		total += l.Bytes
		if l.Breakdown != nil && l.Cycles > 0 {
			row(l.Name, l.Breakdown, l.Bytes)
		}
	}
	if b := r.Total.Breakdown; b != nil && b.Sum() > 0 {
		row("total", b, total)
	}
	return tw.Flush()
}

func memoryName(opt sim.Options) string {
	if opt.IdealMemory {
		return "ideal"
	}
	return "SRAM and DRAM simulated"
}
