package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/uboost/uboost/cost"
)

func init() { root.AddCommand(newEstimateCmd()) }

func newEstimateCmd() *cobra.Command {
	var model string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "estimate (--topology FILE.csv | --arch FILE.json|FILE.onnx|ZOO-NAME) [flags]",
		Short: "Price a network on an accelerator with an analytical cost model",
		Long: `estimate lowers every layer of a network to GEMMs on an R×C weight-stationary array and prints
per layer the GEMM, MACs, cycles, latency and utilization, and the network totals (utilization is
MAC-weighted: total MACs / (total cycles · R · C)).

Models: ` + strings.Join(cost.Names(), ", ") + `.`,
		Args: cobra.NoArgs,
	}
	af := addAcceleratorFlags(cmd)
	nf := addNetworkFlags(cmd)
	cmd.Flags().StringVar(&model, "model", "systolic", "cost model: "+strings.Join(cost.Names(), ", "))
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document instead of a table")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		m, err := cost.ByName(model)
		if err != nil {
			return err
		}
		reports, err := price(af, nf, m)
		if err != nil {
			return err
		}
		return writeReport(cmd, reports[0], asJSON)
	}
	return cmd
}
