package cost

import (
	"fmt"
	"sort"
	"strings"

	"github.com/uboost/uboost/accel"
)

// LayerModel is a Model that can also price one layer on its own, which is what the search needs for
// each candidate shape of a layer. Every model of the registry is one.
type LayerModel interface {
	Model
	// LayerCycles returns the cycles of layer l on a (at a's batch), unrounded where the model's formula
	// is continuous; 0 for a layer that does not use the array.
	LayerCycles(a *accel.Accelerator, l accel.Layer) (float64, error)
}

// ChannelGrid is implemented by table models whose keys are a grid of channel counts. The search uses
// it to read the table at a soft width's snapped expected value.
type ChannelGrid interface {
	// ChannelKeys lists a convolution's channel keys, ascending.
	ChannelKeys() []int
	// Snap returns the key a channel count is read at (which way a tie goes is the model's).
	Snap(channels int) int
}

// Entry is one cost model of the registry: what `--model` and `search --cost` accept.
type Entry struct {
	// Name is the model's spelling on the command line.
	Name string
	// Doc is a one-line description.
	Doc string
	// New returns the model; a table model fills its table as it is read, so each caller gets its own.
	New func() LayerModel
	// Formula is the closed formula the search may evaluate on graph nodes at soft widths, through its
	// smooth ceiling. Empty for a table (a lookup table, the simulator): at soft widths the search reads
	// it at the snapped expected width as a constant, so no gradient reaches the width logits.
	Formula Kind
	// FromSimulator marks a model whose numbers come from package sim (the simulator itself, the
	// paper's Blackbox table): checking it against the simulator would be circular.
	FromSimulator bool
	// BatchOne marks a model whose LayerCycles are at batch 1 whatever the accelerator's batch (the
	// paper's Blackbox table): a utilization from them pairs with batch-1 MACs.
	BatchOne bool
}

// registry holds every cost model by name; each model's file registers it (register in an init).
var registry = map[string]Entry{}

// register adds an entry; a name registered twice is a programming error.
func register(e Entry) {
	if _, dup := registry[e.Name]; dup {
		panic("cost: model " + e.Name + " registered twice")
	}
	registry[e.Name] = e
}

// Names lists the registered models, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Entries lists the registered models, sorted by name.
func Entries() []Entry {
	out := make([]Entry, 0, len(registry))
	for _, n := range Names() {
		out = append(out, registry[n])
	}
	return out
}

// Lookup returns the registry entry of a model name (case-insensitive).
func Lookup(name string) (Entry, error) {
	if e, ok := registry[strings.ToLower(name)]; ok {
		return e, nil
	}
	return Entry{}, fmt.Errorf("unknown model %q (want one of %s)", name, strings.Join(Names(), ", "))
}

// ByName returns a new instance of the model a --model flag names.
func ByName(name string) (LayerModel, error) {
	e, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	return e.New(), nil
}
