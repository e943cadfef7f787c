package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/report"
)

func init() { root.AddCommand(newReportCmd()) }

func newReportCmd() *cobra.Command {
	var out, modelNames string
	cmd := &cobra.Command{
		Use:   "report (--topology FILE.csv | --arch FILE.json|FILE.onnx|ZOO-NAME) --out FILE.html [flags]",
		Short: "Write an HTML report of how a network uses the array: drawing, per-layer tables and utilization bars",
		Long: `report prices a network with each --models cost model on the accelerator the flags describe and writes
one self-contained HTML page (inline SVG, no external assets): the network drawn with each layer's
utilization (from the first model), and per model a per-layer table and utilization bars (the
simulator's bars are split into its PE-cycle breakdown).`,
		Args: cobra.NoArgs,
	}
	af := addAcceleratorFlags(cmd)
	nf := addNetworkFlags(cmd)
	cmd.Flags().StringVar(&out, "out", "report.html", "HTML file to write")
	cmd.Flags().StringVar(&modelNames, "models", "simulator,systolic", "comma-separated cost models: "+strings.Join(cost.Names(), ", "))
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		var models []cost.Model
		for _, mn := range strings.Split(modelNames, ",") {
			m, err := cost.ByName(strings.TrimSpace(mn))
			if err != nil {
				return fmt.Errorf("flag --models: %w", err)
			}
			models = append(models, m)
		}
		reports, err := price(af, nf, models...)
		if err != nil {
			return err
		}
		first := reports[0]
		page := &report.Page{Title: fmt.Sprintf("%s on %s", first.Network, first.Accelerator)}
		var sections []report.Section
		for _, r := range reports {
			sec, err := report.CostSection(r)
			if err != nil {
				return err
			}
			sections = append(sections, sec)
		}
		if nf.arch != "" {
			net, err := loadNetwork(nf.arch, nf.input)
			if err != nil {
				return err
			}
			svg, err := report.NetworkSVG(net, report.UtilizationAnnotator(first))
			if err != nil {
				return err
			}
			page.Sections = append(page.Sections, report.Section{Heading: "Network",
				Text: fmt.Sprintf("Utilization per array layer from the %s model.", first.Model), SVGs: [][]byte{svg}})
		}
		page.Sections = append(page.Sections, sections...)
		if err := createFile(out, page.Write); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", out)
		return nil
	}
	return cmd
}
