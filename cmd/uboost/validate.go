package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/sim/validation"
)

func init() { root.AddCommand(newValidateCmd()) }

// maxGridPoints bounds the channel counts of validate's conv sweep: each is simulated on every array
// and batch, so 1024 of them already take minutes.
const maxGridPoints = 1024

func newValidateCmd() *cobra.Command {
	def := validation.DefaultConfig()
	var (
		sizes, svgPath, svgArray, buffer string
		batches                          []int
		models, networks                 []string
		bwGBs, sramMB                    float64
		gridMin, gridMax, gridStep       int
		svgKernel                        int
		asJSON                           bool
	)
	cmd := &cobra.Command{
		Use:   "validate [flags]",
		Short: "Measure the analytical cost models against the cycle-level simulator",
		Long: `validate prices every zoo network (at each --batches) and a sweep of k×k convs with c input and c
output channels (c from --grid-min to --grid-max in steps of --grid-step, kernels 1 and 3, 14×14
output, batch 1) on each --sizes array, with every analytical model and with the simulator in three
settings: ideal memory, memory as configured (--bw-gbs, --sram-mb), and ideal memory with overlapping
folds. For each model, simulator setting and set of cases it prints the mean and maximum absolute
percent error in cycles, in utilization (relative, and in percentage points) and in energy
(analytical accesses at the model's cycles vs the simulator's counted accesses), and the Spearman rank
correlation of cycles within each group of cases that differ only in the network (networks) or the
channels (conv grid): the mean and the worst group.

--svg FILE also draws utilization against channels for the 3×3 conv on --svg-array: the exact model,
both smooth ceilings (evaluated between integers too) and the simulator settings.`,
		Args: cobra.NoArgs,
	}
	fl := cmd.Flags()
	fl.StringVar(&sizes, "sizes", "32x32,128x128,256x256", "array sizes, comma-separated ROWSxCOLS")
	fl.IntSliceVar(&batches, "batches", def.Batches, "batches the networks run at")
	fl.StringSliceVar(&networks, "networks", def.Networks, "zoo networks")
	fl.StringSliceVar(&models, "models", def.Models, "analytical models to validate")
	fl.Float64Var(&bwGBs, "bw-gbs", accel.DefaultBandwidthBps/1e9, "off-chip bandwidth in GB/s")
	fl.Float64Var(&sramMB, "sram-mb", float64(accel.DefaultSRAMBytes)/(1<<20), "on-chip SRAM in MiB")
	fl.StringVar(&buffer, "weight-buffer", string(accel.DoubleBuffer), "weight buffering: double or single")
	fl.IntVar(&gridMin, "grid-min", 16, "smallest channel count of the conv sweep")
	fl.IntVar(&gridMax, "grid-max", 512, "largest channel count of the conv sweep")
	fl.IntVar(&gridStep, "grid-step", 16, "channel step of the conv sweep")
	fl.StringVar(&svgPath, "svg", "", "write the utilization-vs-channels plot to this SVG file")
	fl.StringVar(&svgArray, "svg-array", "128x128", "array size of the plot")
	fl.IntVar(&svgKernel, "svg-kernel", 3, "kernel size of the plotted conv")
	fl.BoolVar(&asJSON, "json", false, "print one JSON document (errors and every case) instead of a table")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg := def
		var err error
		if cfg.Sizes, err = validation.ParseSizes(sizes); err != nil {
			return fmt.Errorf("flag --sizes: %w", err)
		}
		for _, b := range batches {
			if b <= 0 {
				return fmt.Errorf("flag --batches: want positive integers, got %d", b)
			}
		}
		if gridMin <= 0 || gridStep <= 0 || gridMax < gridMin || gridMax > accel.MaxChannels || (gridMax-gridMin)/gridStep >= maxGridPoints {
			return fmt.Errorf("flags --grid-min/--grid-max/--grid-step: want 0 < min ≤ max ≤ %d, step > 0 and at most %d channel counts, got %d, %d, %d",
				accel.MaxChannels, maxGridPoints, gridMin, gridMax, gridStep)
		}
		if svgKernel <= 0 {
			return fmt.Errorf("flag --svg-kernel: want a positive integer, got %d", svgKernel)
		}
		for _, n := range networks {
			if _, err := arch.ZooNetwork(n); err != nil {
				return fmt.Errorf("flag --networks: %w", err)
			}
		}
		cfg.Batches, cfg.Networks, cfg.Models = batches, networks, models
		cfg.GridChannels = nil
		for c := gridMin; c <= gridMax; c += gridStep {
			cfg.GridChannels = append(cfg.GridChannels, c)
		}
		cfg.Base = accel.Default().Bandwidth(bwGBs).SRAM(int64(sramMB * (1 << 20))).Buffer(accel.Buffering(buffer))
		if err := cfg.Base.Validate(); err != nil {
			return fmt.Errorf("accelerator: %w", err)
		}
		svgR, svgC, err := accel.ParseArray(svgArray)
		if err != nil {
			return fmt.Errorf("flag --svg-array: %w", err)
		}
		rep, err := validation.Run(cfg)
		if err != nil {
			return err
		}
		if svgPath != "" {
			curves, err := validation.Curves(cfg.Base, svgR, svgC, svgKernel, cfg.GridSpatial, gridMin, gridMax, cfg.Simulator)
			if err != nil {
				return err
			}
			title := fmt.Sprintf("%d×%d conv, c→c channels, %d×%d output, batch 1, on %s", svgKernel, svgKernel, cfg.GridSpatial, cfg.GridSpatial, svgArray)
			if err := createFile(svgPath, func(w io.Writer) error { return validation.WriteSVG(w, title, curves) }); err != nil {
				return err
			}
		}
		if asJSON {
			return writeJSON(cmd.OutOrStdout(), rep)
		}
		return writeValidation(cmd, rep, cfg)
	}
	return cmd
}

// writeValidation prints the error table.
func writeValidation(cmd *cobra.Command, rep *validation.Report, cfg validation.Config) error {
	w := cmd.OutOrStdout()
	var sizes []string
	for _, s := range cfg.Sizes {
		sizes = append(sizes, s.String())
	}
	fmt.Fprintf(w, "Analytical models vs the simulator on %s arrays (%g GB/s, %.3g MB SRAM, %s-buffered weights).\n",
		strings.Join(sizes, ", "), cfg.Base.BandwidthBps/1e9, float64(cfg.Base.SRAMBytes)/(1<<20), cfg.Base.Weights)
	var kernels []string
	for _, k := range cfg.GridKernels {
		kernels = append(kernels, fmt.Sprintf("%d×%d", k, k))
	}
	fmt.Fprintf(w, "networks: %s at batch %v; conv grid: %s convs c→c, c = %d..%d, %d×%d output, batch 1.\n",
		strings.Join(cfg.Networks, ", "), cfg.Batches, strings.Join(kernels, " and "), cfg.GridChannels[0], cfg.GridChannels[len(cfg.GridChannels)-1], cfg.GridSpatial, cfg.GridSpatial)
	fmt.Fprintln(w, "APE: |model − sim| / sim in %; pp: |model − sim| utilization in percentage points; energy in µJ (accelerator energies); ρ: Spearman of cycles per group.")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "set\tsimulator\tmodel\tcases\tcycles mean APE\tmax APE\tutil mean APE\tmax APE\tutil mean pp\tmax pp\tenergy mean APE\tmax APE\tρ mean\tρ min\t")
	for _, e := range rep.Errors {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.3f\t%.3f\t\n", e.Set, e.Simulator, e.Model, e.Cases,
			e.CyclesMeanAPE, e.CyclesMaxAPE, e.UtilMeanAPE, e.UtilMaxAPE, e.UtilMeanAbsPP, e.UtilMaxAbsPP, e.EnergyMeanAPE, e.EnergyMaxAPE, e.SpearmanMean, e.SpearmanMin)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// A model that declined cases (a smooth ceiling past its range) is summarized over the rest.
	noted := map[string]bool{}
	for _, e := range rep.Errors {
		key := e.Set + "\x00" + e.Model
		if e.Refused == 0 || noted[key] {
			continue
		}
		noted[key] = true
		var names []string
		why := ""
		for _, c := range rep.Cases {
			if r, ok := c.Refused[e.Model]; ok && c.Set == e.Set {
				names = append(names, fmt.Sprintf("%s on %s at batch %d", c.Name, c.Size, c.Batch))
				why = r
			}
		}
		fmt.Fprintf(w, "\n%s: %d %s case(s) left out (%s): %s\n", e.Model, e.Refused, e.Set, strings.Join(names, "; "), why)
	}
	return nil
}
