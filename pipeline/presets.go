package pipeline

import (
	"fmt"

	"github.com/uboost/uboost/search"
	"github.com/uboost/uboost/train"
)

// Preset returns a whole run's configuration by preset name (search.Presets): the search preset, its
// final-training recipe (TrainPreset), and the data it runs on by default.
//   - demo: the built-in Fashion-MNIST subset;
//   - edge: the full Fashion-MNIST (Debian's dataset-fashion-mnist), the first 20,000 training images
//     (search and final training), all 10,000 test images;
//   - cifar10, imagenet100: no default data; the caller names the data set.
func Preset(name string) (*Config, error) {
	s, err := search.Preset(name)
	if err != nil {
		return nil, err
	}
	t, err := TrainPreset(name)
	if err != nil {
		return nil, err
	}
	c := &Config{Search: s, Train: t}
	switch name {
	case "demo":
		c.Data = "builtin"
	case "edge":
		c.Data, c.TrainLimit = "fashion-mnist", 20000
	}
	return c, nil
}

// TrainPreset returns the final-training recipe of a search preset (search.Preset names):
//   - demo: train.DefaultConfig (Nesterov SGD, one-cycle at 0.1, batches of 128) for 8 epochs on the
//     built-in Fashion-MNIST subset — the searched network for a 32×32 array is about 150k parameters,
//     and 15 epochs took the main job past 10 minutes on 2 cores (docs/RESULTS.md);
//   - edge: 8 epochs of 128 (with its 20,000 training images, 1,250 steps): enough to rank networks,
//     which is what the miniature measures, at a cost 80 runs can afford (docs/MINIATURE.md);
//   - cifar10: the paper's Table 6, 100 epochs of 256 at 0.1 (the text's 200 epochs of 64 is the
//     alternative, PAPER.md §5.7);
//   - imagenet100: 70 epochs of 256 at 0.1.
//
// All hold out 10% of the training split for validation, as the reference's 45k/5k CIFAR split.
func TrainPreset(name string) (train.Config, error) {
	c := train.DefaultConfig()
	c.ValFraction = 0.1
	switch name {
	case "demo", "edge":
		c.Epochs = 8
	case "cifar10":
		c.Epochs, c.Batch = 100, 256
	case "imagenet100":
		c.Epochs, c.Batch = 70, 256
	default:
		return c, fmt.Errorf("unknown preset %q", name)
	}
	return c, nil
}
