package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/cost"
)

func init() { root.AddCommand(newZooCmd()) }

// zooEntry is one row of `uboost zoo --json`.
type zooEntry struct {
	Name   string `json:"name"`
	Input  string `json:"input"`
	Layers int    `json:"layers"`
	MACs   int64  `json:"macs"`
	Params int64  `json:"params"`
}

func newZooCmd() *cobra.Command {
	var asJSON, write bool
	var dir string
	cmd := &cobra.Command{
		Use:   "zoo",
		Short: "List the built-in networks with their MACs and parameters",
		Long: `zoo lists the networks defined in code (at 224×224×3, 1000 classes, stem to classifier), with
MACs at batch 1 and trainable parameters. Use a name with --arch in estimate, simulate or train;
--write --dir DIR saves each as an editable arch.json.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var rows []zooEntry
			for _, name := range arch.ZooNames() {
				net, err := arch.ZooNetwork(name)
				if err != nil {
					return err
				}
				layers, err := net.Layers()
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				params, err := net.Params()
				if err != nil {
					return err
				}
				r, err := cost.Systolic().Estimate(defaultAccel(), layers)
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				rows = append(rows, zooEntry{Name: name, Input: net.Input.String(), Layers: len(net.Nodes), MACs: r.Total.MACs, Params: params})
				if write {
					if err := net.Save(fmt.Sprintf("%s/%s.json", dir, name)); err != nil {
						return err
					}
				}
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), rows)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "name\tinput\tnodes\tGMACs\tparams (M)\t")
			for _, e := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%.3f\t%.2f\t\n", e.Name, e.Input, e.Layers, float64(e.MACs)/1e9, float64(e.Params)/1e6)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	cmd.Flags().BoolVar(&write, "write", false, "also write each network as DIR/NAME.json")
	cmd.Flags().StringVar(&dir, "dir", ".", "directory for --write")
	return cmd
}
