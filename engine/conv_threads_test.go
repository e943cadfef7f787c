package engine_test

import (
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/uboost/uboost/engine"
)

// TestConvThreadSplit checks convolution gradients when the threads split a convolution's rows:
// at 3 threads, 6 images of 10×10 give 600 output rows, cut into 3 chunks of 200 (one per thread) for
// the forward and input-gradient products, and the kernel gradient is summed in 3 per-thread copies.
// The small shapes of TestGradients fit in one chunk and never take this path.
func TestConvThreadSplit(t *testing.T) {
	defer engine.SetThreads(engine.Threads())
	engine.SetThreads(3)
	b := engine.Backend()
	same := func(cb *ConvolutionBuilder) *ConvolutionBuilder { return cb.PadSame() }
	for _, c := range []gradCase{
		convCase("conv3x3", []int{6, 10, 10, 4}, []int{3, 3, 4, 3}, same),
		convCase("conv5x5 dilated", []int{6, 10, 10, 4}, []int{5, 5, 4, 3}, func(cb *ConvolutionBuilder) *ConvolutionBuilder {
			return cb.PadSame().Dilations(2)
		}),
		convCase("grouped", []int{6, 10, 10, 4}, []int{3, 3, 2, 6}, func(cb *ConvolutionBuilder) *ConvolutionBuilder {
			return cb.PadSame().ChannelGroupCount(2)
		}),
	} {
		c.maxElems = 40
		t.Run(c.name, func(t *testing.T) { checkGrad(t, b, c) })
	}
}
