package arch

import (
	"math"
	"path/filepath"
	"reflect"
	"testing"
)

func zooNet(t *testing.T, name string) *Network {
	t.Helper()
	n, err := ZooNetwork(name)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// networkMACs is the sum of the GEMM layers' multiply-accumulates at batch 1.
func networkMACs(t *testing.T, n *Network) int64 {
	t.Helper()
	ls, err := n.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var macs int64
	for _, l := range ls {
		macs += l.Lower(1).MACs()
	}
	return macs
}

func TestZooNames(t *testing.T) {
	want := []string{"resnet18", "resnet50", "vgg16", "mobilenetv1", "mobilenetv2", "efficientnetb0"}
	if got := ZooNames(); !reflect.DeepEqual(got, want) {
		t.Errorf("ZooNames() = %v, want %v", got, want)
	}
	ZooNames()[0] = "changed" // the caller's copy
	if ZooNames()[0] != "resnet18" {
		t.Error("ZooNames returns shared storage")
	}
}

func TestZooUnknown(t *testing.T) {
	_, err := ZooNetwork("resnet19")
	want := `unknown zoo network "resnet19"; want one of resnet18, resnet50, vgg16, mobilenetv1, mobilenetv2, efficientnetb0`
	if err == nil || err.Error() != want {
		t.Errorf("ZooNetwork(resnet19) = %v, want %s", err, want)
	}
	if n, err := ZooNetwork("ResNet18"); err != nil || n.Name != "resnet18" {
		t.Errorf("ZooNetwork(ResNet18) = %v, %v; want resnet18", n, err)
	}
}

// TestZooPublishedFigures compares each network with its published MACs and parameters.
//
// Parameters are exact: weights, biases of dense layers and of convs without BN, and BN's scale and
// offset, as torchvision's sum of p.numel() over model.parameters() counts them (BN running statistics
// are buffers, not parameters). The squeeze-excitation layers of EfficientNet-B0 carry biases there too
// (1×1 convs with bias), and so do our dense SE layers. MobileNetV1 is not in torchvision; 4,231,976 is
// Keras' MobileNet (alpha 1.0) total of 4,253,864 less its 21,888 non-trainable BN statistics.
//
// MACs count the GEMM layers only (conv, depthwise, dense) at batch 1, as the published figures do; BN,
// activations, pooling, sums and the SE product are left out. The published figures are rounded
// (torchvision's table gives 0.39 and 0.3 GFLOPS for EfficientNet-B0 and MobileNetV2, which are MACs), so
// the tolerance is half a unit of the last published digit. Our counts: ResNet-18 1.81407 G,
// ResNet-50 4.08918 G (v1.5: stride on the 3×3; v1, with the stride on the first 1×1, runs that 1×1 at a
// quarter of the positions in stages 2–4 and would be 4.08918 − 3 × 0.07707 = 3.85797 G),
// VGG-16 15.47026 G, MobileNetV1 0.56874 G, MobileNetV2 0.30077 G, EfficientNet-B0 0.38581 G.
func TestZooPublishedFigures(t *testing.T) {
	cases := []struct {
		name     string
		params   int64
		gmacs    float64 // published
		decimals int     // digits after the point in the published figure
	}{
		{"resnet18", 11_689_512, 1.814, 3},
		{"resnet50", 25_557_032, 4.09, 2},
		{"vgg16", 138_357_544, 15.47, 2},
		{"mobilenetv1", 4_231_976, 0.569, 3},
		{"mobilenetv2", 3_504_872, 0.30, 2},
		{"efficientnetb0", 5_288_548, 0.39, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := zooNet(t, c.name)
			p, err := n.Params()
			if err != nil {
				t.Fatal(err)
			}
			if p != c.params {
				t.Errorf("params = %d, want %d", p, c.params)
			}
			g := float64(networkMACs(t, n)) / 1e9
			tol := 0.5 * math.Pow(10, -float64(c.decimals))
			if math.Abs(g-c.gmacs) > tol {
				t.Errorf("MACs = %.5f G, want %v ± %g", g, c.gmacs, tol)
			}
		})
	}
}

// TestResNet18MACsExact derives ResNet-18's MACs by hand (out h·w · k²·c_in · c_out per conv):
//
//	conv1      112·112 · 7·7·3 · 64                                         = 118,013,952
//	layer1     4 × 56·56 · 9·64 · 64 = 4 × 115,605,504                      = 462,422,016
//	layer2     28·28·9·64·128 + 3 × 28·28·9·128·128 + 28·28·64·128 (proj.)
//	           = 57,802,752 + 346,816,512 + 6,422,528                        = 411,041,792
//	layer3, 4  the same at half the size and twice the channels, each       = 411,041,792
//	fc         512·1000                                                     = 512,000
//	total                                                                   = 1,814,073,344
func TestResNet18MACsExact(t *testing.T) {
	if got := networkMACs(t, zooNet(t, "resnet18")); got != 1_814_073_344 {
		t.Errorf("ResNet-18 MACs = %d, want 1,814,073,344", got)
	}
}

// TestZooStructure checks the features that tell the variants apart, by shape and attribute.
func TestZooStructure(t *testing.T) {
	type check struct {
		node  string
		shape Shape
	}
	cases := []struct {
		name   string
		checks []check
		adds   int
		nodes  map[string]Node // attributes of selected nodes (inputs left out)
	}{
		{"resnet18", []check{
			{"conv1", Shape{112, 112, 64}}, {"maxpool", Shape{56, 56, 64}},
			{"layer2.0.downsample", Shape{28, 28, 128}}, {"layer4.1.add", Shape{7, 7, 512}}, {"fc", Shape{1, 1, 1000}},
		}, 8, map[string]Node{
			"layer2.0.conv1": {Name: "layer2.0.conv1", Op: OpConv, Kernel: 3, Stride: 2, Channels: 128, BN: true, Act: ActReLU},
			"layer1.1.add":   {Name: "layer1.1.add", Op: OpAdd, Act: ActReLU},
		}},
		{"resnet50", []check{
			{"layer1.0.downsample", Shape{56, 56, 256}}, {"layer2.0.conv1", Shape{56, 56, 128}},
			{"layer2.0.conv2", Shape{28, 28, 128}}, {"layer4.2.add", Shape{7, 7, 2048}},
		}, 16, map[string]Node{
			// v1.5: the stride sits on the 3×3, the first 1×1 keeps the resolution.
			"layer3.0.conv1":      {Name: "layer3.0.conv1", Op: OpConv, Kernel: 1, Stride: 1, Channels: 256, BN: true, Act: ActReLU},
			"layer3.0.conv2":      {Name: "layer3.0.conv2", Op: OpConv, Kernel: 3, Stride: 2, Channels: 256, BN: true, Act: ActReLU},
			"layer3.0.downsample": {Name: "layer3.0.downsample", Op: OpConv, Kernel: 1, Stride: 2, Channels: 1024, BN: true},
		}},
		{"vgg16", []check{
			{"block1.conv2", Shape{224, 224, 64}}, {"block5.pool", Shape{7, 7, 512}}, {"fc6", Shape{1, 1, 4096}},
		}, 0, map[string]Node{
			"block3.conv3": {Name: "block3.conv3", Op: OpConv, Kernel: 3, Channels: 256, Act: ActReLU},
		}},
		{"mobilenetv1", []check{
			{"conv1", Shape{112, 112, 32}}, {"block2.dw", Shape{56, 56, 64}}, {"block13.pw", Shape{7, 7, 1024}},
		}, 0, map[string]Node{
			"block12.dw": {Name: "block12.dw", Op: OpDepthwise, Kernel: 3, Stride: 2, BN: true, Act: ActReLU},
		}},
		{"mobilenetv2", []check{
			{"block1.project", Shape{112, 112, 16}}, {"block2.expand", Shape{112, 112, 96}}, {"block2.dw", Shape{56, 56, 96}},
			{"block17.project", Shape{7, 7, 320}}, {"head", Shape{7, 7, 1280}},
		}, 10, map[string]Node{
			"block3.project": {Name: "block3.project", Op: OpConv, Kernel: 1, Stride: 1, Channels: 24, BN: true},
			"block3.dw":      {Name: "block3.dw", Op: OpDepthwise, Kernel: 3, Stride: 1, BN: true, Act: ActReLU6},
		}},
		{"efficientnetb0", []check{
			{"stem", Shape{112, 112, 32}}, {"block1.se.reduce", Shape{1, 1, 8}}, {"block1.se.scale", Shape{112, 112, 32}},
			{"block4.dw", Shape{28, 28, 144}}, {"block16.project", Shape{7, 7, 320}}, {"head", Shape{7, 7, 1280}},
		}, 9, map[string]Node{
			// SE squeezes to a quarter of the block's input channels (192/4), not of the expanded 1152.
			"block16.se.reduce": {Name: "block16.se.reduce", Op: OpDense, Channels: 48, Act: ActSwish},
			"block16.se.expand": {Name: "block16.se.expand", Op: OpDense, Channels: 1152, Act: ActSigmoid},
			"block4.dw":         {Name: "block4.dw", Op: OpDepthwise, Kernel: 5, Stride: 2, BN: true, Act: ActSwish},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := zooNet(t, c.name)
			if n.Input != (Shape{224, 224, 3}) || n.Classes != 1000 || n.Format != Format || n.Name != c.name {
				t.Errorf("header = %s %v %d %q", n.Format, n.Input, n.Classes, n.Name)
			}
			shapes, err := n.Infer()
			if err != nil {
				t.Fatal(err)
			}
			for _, ch := range c.checks {
				if got, ok := shapes[ch.node]; !ok || got != ch.shape {
					t.Errorf("%s: shape %v (present %v), want %v", ch.node, got, ok, ch.shape)
				}
			}
			adds := 0
			for _, nd := range n.Nodes {
				if nd.Op == OpAdd {
					adds++
				}
				if want, ok := c.nodes[nd.Name]; ok {
					nd.Inputs = nil
					if !reflect.DeepEqual(nd, want) {
						t.Errorf("node %s = %+v, want %+v", nd.Name, nd, want)
					}
					delete(c.nodes, nd.Name)
				}
			}
			if adds != c.adds {
				t.Errorf("%d residual sums, want %d", adds, c.adds)
			}
			for name := range c.nodes {
				t.Errorf("node %s missing", name)
			}
		})
	}
}

// TestZooSaveLoad: every zoo network survives arch.json unchanged.
func TestZooSaveLoad(t *testing.T) {
	for _, name := range ZooNames() {
		n := zooNet(t, name)
		path := filepath.Join(t.TempDir(), name+".json")
		if err := n.Save(path); err != nil {
			t.Fatal(err)
		}
		got, err := Load(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, n) {
			t.Errorf("%s: Load(Save(n)) differs", name)
		}
	}
}
