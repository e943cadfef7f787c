package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/uboost/uboost/internal/jsonfile"
	"github.com/uboost/uboost/onnxio"
	"github.com/uboost/uboost/train"
)

func init() { root.AddCommand(newExportCmd()) }

func newExportCmd() *cobra.Command {
	var format, out string
	cmd := &cobra.Command{
		Use:   "export RUN --format onnx|arch -o FILE",
		Short: "Write a trained run's network as ONNX (with its weights) or as arch.json",
		Long: `Export writes the network of the run directory RUN (written by "uboost train" or the pipeline).

--format onnx writes it with the weights of its last checkpoint as an ONNX model (opset 17, float32,
NCHW): input "input" [batch, C, H, W], output "logits" [batch, classes]. Batch norm is kept as
BatchNormalization nodes on its moving averages, not folded into the convolutions, so the file computes
what "uboost evaluate" computes. --format arch writes the network description (arch.json), which
--arch reads back. The file is written atomically.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("flag -o: the output file is required")
			}
			switch format {
			case "onnx":
				m, err := train.LoadModel(args[0])
				if err != nil {
					return err
				}
				mp, err := onnxio.Export(m.Net, m.Variable, m.BNEpsilon)
				if err != nil {
					return err
				}
				if err := onnxio.Write(out, mp); err != nil {
					return err
				}
			case "arch":
				_, net, err := train.LoadRun(args[0])
				if err != nil {
					return err
				}
				if err := jsonfile.Write(out, net); err != nil {
					return err
				}
			default:
				return fmt.Errorf("flag --format: want onnx or arch, got %q", format)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", out)
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "onnx", "output format: onnx or arch")
	cmd.Flags().StringVarP(&out, "out", "o", "", "output file")
	return cmd
}
