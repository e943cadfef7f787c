package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/uboost/uboost/data"
	"github.com/uboost/uboost/train"
)

func init() { root.AddCommand(newEvaluateCmd()) }

func newEvaluateCmd() *cobra.Command {
	var (
		spec   string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "evaluate RUN",
		Short: "Evaluate a trained run's last checkpoint on the test split",
		Long: `Evaluate reloads the last checkpoint of the run directory RUN (written by "uboost train") and
reports its top-1 and top-5 accuracy and mean loss on the test split of the data set it was trained on,
or of --data.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ds *data.Dataset
			if spec != "" {
				var err error
				if ds, err = data.Open(spec, data.Options{}); err != nil {
					return err
				}
			}
			res, err := train.Evaluate(args[0], ds)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(w, res)
			}
			fmt.Fprintf(w, "%s (%s, step %d) on %s: test accuracy %.2f%%, top-5 %.2f%%, loss %.4f, %d images, %d params\n",
				args[0], res.Arch, res.Steps, res.Data, 100*res.TestAccuracy, 100*res.Top5, res.TestLoss, res.TestImages, res.Params)
			return nil
		},
	}
	cmd.Flags().StringVar(&spec, "data", "", "data set spec to evaluate on (default: the run's own)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
