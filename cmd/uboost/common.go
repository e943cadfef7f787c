package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/internal/atomicfile"
	"github.com/uboost/uboost/internal/inputfile"
	"github.com/uboost/uboost/onnxio"
)

// acceleratorFlags are the flags that describe an accelerator; defaults are the paper's platform.
type acceleratorFlags struct {
	cmd      *cobra.Command
	array    string
	clockGHz float64
	bwGBs    float64
	sramMB   float64
	batch    int
	elemB    int
	buffer   string
	file     string
}

// addAcceleratorFlags registers --array, --clock-ghz, --bw-gbs, --sram-mb, --batch, --element-bytes,
// --weight-buffer and --accel on cmd.
func addAcceleratorFlags(cmd *cobra.Command) *acceleratorFlags {
	f := &acceleratorFlags{cmd: cmd}
	fl := cmd.Flags()
	fl.StringVar(&f.array, "array", fmt.Sprintf("%dx%d", accel.DefaultRows, accel.DefaultCols), "systolic array size ROWSxCOLS, or NxROWSxCOLS for N arrays sharing the SRAM and DRAM channel")
	fl.Float64Var(&f.clockGHz, "clock-ghz", accel.DefaultClockHz/1e9, "array clock in GHz")
	fl.Float64Var(&f.bwGBs, "bw-gbs", accel.DefaultBandwidthBps/1e9, "off-chip bandwidth in GB/s")
	fl.Float64Var(&f.sramMB, "sram-mb", float64(accel.DefaultSRAMBytes)/(1<<20), "on-chip SRAM in MiB")
	fl.IntVar(&f.batch, "batch", accel.DefaultBatch, "inference batch size")
	fl.IntVar(&f.elemB, "element-bytes", accel.DefaultElementBytes, "bytes per stored element")
	fl.StringVar(&f.buffer, "weight-buffer", string(accel.DoubleBuffer), "weight buffering: double or single")
	fl.StringVar(&f.file, "accel", "", "accelerator JSON file (flags given explicitly override its fields)")
	return f
}

// flagSetter sets one configuration field from its flag.
type flagSetter struct {
	flag string
	set  func()
}

// applyGiven runs the setters of the flags given on the command line, so that a value the preset or
// the protocol chose stays unless its flag is given explicitly.
func applyGiven(changed func(string) bool, setters ...flagSetter) {
	for _, s := range setters {
		if changed(s.flag) {
			s.set()
		}
	}
}

// Accelerator builds the accelerator the flags describe, validated.
func (f *acceleratorFlags) Accelerator() (*accel.Accelerator, error) {
	a := accel.Default()
	if f.file != "" {
		data, err := inputfile.Read(f.file, inputfile.MaxBytes)
		if err != nil {
			return nil, err
		}
		if a, err = accel.ParseJSON(data); err != nil {
			return nil, fmt.Errorf("%s: %w", f.file, err)
		}
	}
	changed := func(name string) bool { return f.file == "" || f.cmd.Flags().Changed(name) }
	if changed("array") {
		shape, err := accel.ParseArrayShape(f.array)
		if err != nil {
			return nil, fmt.Errorf("flag --array: %w", err)
		}
		shape.Set(a)
	}
	if changed("sram-mb") {
		if !(f.sramMB > 0 && f.sramMB*(1<<20) <= accel.MaxSRAMBytes) {
			return nil, fmt.Errorf("flag --sram-mb: want a size in (0, %d] MiB, got %g", accel.MaxSRAMBytes>>20, f.sramMB)
		}
		a.SRAM(int64(f.sramMB * (1 << 20)))
	}
	applyGiven(changed,
		flagSetter{"clock-ghz", func() { a.Clock(f.clockGHz) }},
		flagSetter{"bw-gbs", func() { a.Bandwidth(f.bwGBs) }},
		flagSetter{"batch", func() { a.WithBatch(f.batch) }},
		flagSetter{"element-bytes", func() { a.Elements(f.elemB) }},
		flagSetter{"weight-buffer", func() { a.Buffer(accel.Buffering(f.buffer)) }},
	)
	if err := a.Validate(); err != nil {
		return nil, fmt.Errorf("accelerator: %w", err)
	}
	return a, nil
}

// networkFlags select the network to price: a SCALE-Sim topology CSV, an arch.json or ONNX file or a
// zoo name.
type networkFlags struct {
	topology string
	arch     string
	input    string
}

// addNetworkFlags registers --topology, --arch and --input on cmd.
func addNetworkFlags(cmd *cobra.Command) *networkFlags {
	f := &networkFlags{}
	cmd.Flags().StringVar(&f.topology, "topology", "", "SCALE-Sim topology CSV file")
	cmd.Flags().StringVar(&f.arch, "arch", "", archFlagUsage)
	addInputFlag(cmd, &f.input)
	return f
}

// Layers loads the selected network and lowers it to layers.
func (f *networkFlags) Layers() (name string, layers []accel.Layer, err error) {
	switch {
	case f.topology != "" && f.arch != "":
		return "", nil, fmt.Errorf("give --topology or --arch, not both")
	case f.topology != "":
		layers, err = arch.ReadTopology(f.topology)
		return strings.TrimSuffix(filepath.Base(f.topology), filepath.Ext(f.topology)), layers, err
	case f.arch != "":
		net, err := loadNetwork(f.arch, f.input)
		if err != nil {
			return "", nil, err
		}
		layers, err = net.Layers()
		return net.Name, layers, err
	}
	return "", nil, fmt.Errorf("no network: give --topology FILE.csv or --arch FILE.json|FILE.onnx|ZOO-NAME")
}

// price prices the network the flags select, on the accelerator they describe, with each model in
// turn; the reports carry the network's name.
func price(af *acceleratorFlags, nf *networkFlags, models ...cost.Model) ([]*cost.Report, error) {
	a, err := af.Accelerator()
	if err != nil {
		return nil, err
	}
	return priceAll(a, nf, models...)
}

// priceAll prices the network the flags name on a with each model.
func priceAll(a *accel.Accelerator, nf *networkFlags, models ...cost.Model) ([]*cost.Report, error) {
	name, layers, err := nf.Layers()
	if err != nil {
		return nil, err
	}
	reports := make([]*cost.Report, len(models))
	for i, m := range models {
		if reports[i], err = m.Estimate(a, layers); err != nil {
			return nil, err
		}
		reports[i].Network = name
	}
	return reports, nil
}

// loadNetwork reads an arch.json or ONNX file (by extension), or builds a zoo network when the argument
// names one and is not a file. input ("HxWxC", or empty) sets an ONNX file's symbolic image size.
func loadNetwork(spec, input string) (*arch.Network, error) {
	if onnxio.IsONNX(spec) {
		shape, err := parseInputShape(input)
		if err != nil {
			return nil, err
		}
		return onnxio.Load(spec, shape)
	}
	if input != "" {
		return nil, fmt.Errorf("flag --input: only an ONNX file's image size can be set, not %s's", spec)
	}
	if _, err := os.Stat(spec); err == nil || strings.ContainsAny(spec, "/.") {
		return arch.Load(spec)
	}
	return arch.ZooNetwork(spec)
}

// writeReport prints a cost report as a table, or as the JSON document of DESIGN.md.
func writeReport(cmd *cobra.Command, r *cost.Report, asJSON bool) error {
	w := cmd.OutOrStdout()
	if asJSON {
		return writeJSON(w, r)
	}
	fmt.Fprintf(w, "%s on %s — model %s\n\n", r.Network, r.Accelerator, r.Model)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "layer\top\tGEMM M×K×N\tMACs\tcycles\tlatency ms\tutil %\tenergy µJ\t")
	for _, l := range r.Layers {
		util := "-"
		if l.Cycles > 0 {
			util = fmt.Sprintf("%.3f", 100*l.Utilization)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%.4f\t%s\t%.3f\t\n", l.Name, l.Op, l.GEMM, l.MACs, l.Cycles, l.LatencyMs, util, l.EnergyUJ)
	}
	t := r.Total
	fmt.Fprintf(tw, "total\t\t\t%d\t%d\t%.4f\t%.3f\t%.3f\t\n", t.MACs, t.Cycles, t.LatencyMs, 100*t.Utilization, t.EnergyUJ)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d layers, %.3f GMACs, %.3fM weights; layers without a GEMM (pooling, BN, activations, add) are priced at 0 cycles.\n",
		len(r.Layers), float64(t.MACs)/1e9, float64(t.Params)/1e6)
	fmt.Fprintf(w, "Energy %.3f µJ (per-access energies of the accelerator, docs/COSTMODEL.md), energy–delay product %.4g µJ·ms.\n", t.EnergyUJ, t.EDP)
	return nil
}

// createFile writes path atomically with write (internal/atomicfile); an error names the file.
func createFile(path string, write func(io.Writer) error) error {
	return atomicfile.Write(path, write)
}

// writeJSON writes v as one JSON document.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	return enc.Encode(v)
}

// defaultAccel is the paper's platform at batch 1.
func defaultAccel() *accel.Accelerator { return accel.Default() }
