package pipeline

import (
	"fmt"

	"github.com/uboost/uboost/train"
)

// TrainPreset returns the final-training recipe of a search preset (search.Preset names):
//   - demo: train.DefaultConfig (15 epochs of 128, Nesterov SGD, one-cycle at 0.1) on the built-in
//     Fashion-MNIST subset — a few minutes on 2 cores;
//   - cifar10: the paper's Table 6, 100 epochs of 256 at 0.1 (the text's 200 epochs of 64 is the
//     alternative, PAPER.md §5.7);
//   - imagenet100: 70 epochs of 256 at 0.1.
//
// All hold out 10% of the training split for validation, as the reference's 45k/5k CIFAR split.
func TrainPreset(name string) (train.Config, error) {
	c := train.DefaultConfig()
	c.ValFraction = 0.1
	switch name {
	case "demo":
	case "cifar10":
		c.Epochs, c.Batch = 100, 256
	case "imagenet100":
		c.Epochs, c.Batch = 70, 256
	default:
		return c, fmt.Errorf("unknown preset %q", name)
	}
	return c, nil
}
