// Command uboost designs neural networks that run fast on systolic-array accelerators: it prices
// networks on an array (estimate, simulate, validate), searches architectures whose loss includes latency
// and utilization (search), trains and evaluates them (train, evaluate), and compares cost models
// (experiment). Run `uboost --help` or `uboost CMD --help` for each command's flags and defaults.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/uboost/uboost/engine"
)

// root is the top command; each subcommand registers itself from its own file's init.
var root = &cobra.Command{
	Use:   "uboost",
	Short: "Hardware-aware neural architecture search for systolic-array accelerators",
	Long: `uboost finds neural networks that are accurate and keep a systolic-array accelerator busy
(U-Boost NAS, Yüzügüler et al., ECCV 2022). It models how each layer maps onto an R×C weight-stationary
array, simulates it cycle by cycle, searches architectures whose loss includes latency and utilization,
and trains and reports what it finds.`,
	SilenceUsage:  true,
	SilenceErrors: true,
}

// trainingCommands are the commands that run GoMLX graphs on the engine; they tell the user once when
// the fast GEMM path (OpenBLAS) is missing.
var trainingCommands = map[string]bool{"search": true, "train": true, "evaluate": true, "experiment": true, "step": true}

func main() {
	root.CompletionOptions.DisableDefaultCmd = true
	root.PersistentPreRun = func(cmd *cobra.Command, _ []string) {
		if trainingCommands[cmd.Name()] {
			if notice := engine.BLASNotice(); notice != "" {
				fmt.Fprintln(os.Stderr, notice)
			}
		}
	}
	if err := root.Execute(); err != nil {
		// One line, printed once, here and nowhere else.
		msg := strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
		fmt.Fprintln(os.Stderr, "uboost: "+msg)
		os.Exit(1)
	}
}
