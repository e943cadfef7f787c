package arch

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The files under examples/ are checked here so they never drift from the code that defines them;
// `go test ./arch -run TestExamples -update` rewrites them.
var update = flag.Bool("update", false, "rewrite the files under examples/")

const examplesDir = "../examples"

// smallCNN is the Fashion-MNIST network of examples/smallcnn.json: 28×28×1 in, 10 classes, two 3×3
// convs of 32, a 2×2 max pool, two of 64, a pool, one of 128 (all with BN and ReLU), global average
// pooling and a dense layer to the logits.
func smallCNN() *Network {
	conv := func(name, in string, ch int) Node {
		return Node{Name: name, Op: OpConv, Inputs: []string{in}, Kernel: 3, Channels: ch, BN: true, Act: ActReLU}
	}
	pool := func(name, in string) Node {
		return Node{Name: name, Op: OpMaxPool, Inputs: []string{in}, Kernel: 2, Stride: 2}
	}
	return &Network{
		Format: Format, Name: "smallcnn", Input: Shape{H: 28, W: 28, C: 1}, Classes: 10,
		Nodes: []Node{
			conv("conv1", InputName, 32), conv("conv2", "conv1", 32), pool("pool1", "conv2"),
			conv("conv3", "pool1", 64), conv("conv4", "conv3", 64), pool("pool2", "conv4"),
			conv("conv5", "pool2", 128),
			{Name: "gap", Op: OpAvgPool, Inputs: []string{"conv5"}, Global: true},
			{Name: "fc", Op: OpDense, Inputs: []string{"gap"}, Channels: 10},
		},
	}
}

// exampleNetworks are the arch.json examples and the networks they hold.
var exampleNetworks = []struct {
	file  string
	build func(t *testing.T) *Network
}{
	{"smallcnn.json", func(*testing.T) *Network { return smallCNN() }},
	{"resnet18.json", func(t *testing.T) *Network { return zooNet(t, "resnet18") }},
	{"mobilenetv2.json", func(t *testing.T) *Network { return zooNet(t, "mobilenetv2") }},
}

func TestExamplesArchJSON(t *testing.T) {
	for _, e := range exampleNetworks {
		want := e.build(t)
		path := filepath.Join(examplesDir, e.file)
		if *update {
			if err := want.Save(path); err != nil {
				t.Fatal(err)
			}
		}
		got, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s differs from its definition; rerun with -update", path)
		}
	}
}

// TestSmallCNNShapes: 28 → 28 → 28 → pool 14 → 14 → 14 → pool 7 → 7 → 1×1×128 → 10 logits.
// Params: conv1 3·3·1·32 + 2·32 BN = 352; conv2 9·32·32 + 64 = 9,280; conv3 9·32·64 + 128 = 18,560;
// conv4 9·64·64 + 128 = 36,992; conv5 9·64·128 + 256 = 73,984; fc 128·10 + 10 = 1,290; total 140,458.
// MACs: 784·9·32 + 784·9·32·32 + 196·9·32·64 + 196·9·64·64 + 49·9·64·128 + 1,280
// = 225,792 + 7,225,344 + 3,612,672 + 7,225,344 + 3,612,672 + 1,280 = 21,903,104.
func TestSmallCNNShapes(t *testing.T) {
	n := smallCNN()
	shapes, err := n.Infer()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]Shape{
		"conv2": {28, 28, 32}, "pool1": {14, 14, 32}, "conv4": {14, 14, 64}, "pool2": {7, 7, 64},
		"conv5": {7, 7, 128}, "gap": {1, 1, 128}, "fc": {1, 1, 10},
	} {
		if shapes[name] != want {
			t.Errorf("%s: %v, want %v", name, shapes[name], want)
		}
	}
	if p, err := n.Params(); err != nil || p != 140_458 {
		t.Errorf("Params = %d, %v; want 140,458", p, err)
	}
	if m := networkMACs(t, n); m != 21_903_104 {
		t.Errorf("MACs = %d, want 21,903,104", m)
	}
}

// TestExamplesTopology: examples/resnet18-topology.csv is WriteTopology of the zoo's ResNet-18.
func TestExamplesTopology(t *testing.T) {
	layers, err := zooNet(t, "resnet18").Layers()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteTopology(&buf, layers); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(examplesDir, "resnet18-topology.csv")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, buf.Bytes()) {
		t.Errorf("%s differs from WriteTopology(resnet18); rerun with -update", path)
	}
	back, err := ReadTopology(path)
	if err != nil {
		t.Fatal(err)
	}
	// 20 convs (stem, 16 in the blocks, 3 projections) and the classifier.
	var macs int64
	for _, l := range back {
		macs += l.Lower(1).MACs()
	}
	if len(back) != 21 || macs != 1_814_073_344 {
		t.Errorf("%s: %d layers, %d MACs; want 21, 1,814,073,344", path, len(back), macs)
	}
}
