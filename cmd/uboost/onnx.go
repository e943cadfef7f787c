package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/uboost/uboost/arch"
)

// archFlagUsage describes --arch wherever a command takes a network.
var archFlagUsage = "arch.json file, ONNX file (.onnx) or zoo name (" + strings.Join(arch.ZooNames(), ", ") + ")"

// addInputFlag registers --input, the image size of an ONNX network whose file leaves it symbolic.
func addInputFlag(cmd *cobra.Command, input *string) {
	cmd.Flags().StringVar(input, "input", "", "image size HxWxC of an ONNX network whose file leaves it symbolic")
}

// parseInputShape reads "HxWxC" ("" is no shape).
func parseInputShape(s string) (*arch.Shape, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(strings.ToLower(s), "x")
	var v [3]int
	if len(parts) != 3 {
		return nil, fmt.Errorf("flag --input: want HxWxC, got %q", s)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("flag --input: want HxWxC of positive integers, got %q", s)
		}
		v[i] = n
	}
	return &arch.Shape{H: v[0], W: v[1], C: v[2]}, nil
}
