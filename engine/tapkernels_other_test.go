//go:build !amd64

package engine

import "testing"

func forEachTapKernel(t *testing.T, _ func(t *testing.T)) {
	t.Skip("no tap-convolution kernels on this architecture")
}
