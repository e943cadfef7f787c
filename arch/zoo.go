package arch

import (
	"fmt"
	"strings"
)

// The zoo: standard ImageNet networks (224×224×3 input, 1000 classes) built in code, stem to classifier,
// as torchvision defines them, so that the cost model and the simulator can be checked against published
// MAC and parameter counts and searched networks compared with known baselines. Node names follow
// torchvision's module names where that helps a reader cross-reference them (layer2.0.downsample).

// zooInput and zooClasses are the ImageNet setting every zoo network is built for.
var (
	zooInput   = Shape{H: 224, W: 224, C: 3}
	zooClasses = 1000
)

// zoo lists the networks in the order ZooNames reports them.
var zoo = []struct {
	name  string
	build func() *Network
}{
	{"resnet18", func() *Network { return resNet("resnet18", false, [4]int{2, 2, 2, 2}) }},
	{"resnet50", func() *Network { return resNet("resnet50", true, [4]int{3, 4, 6, 3}) }},
	{"vgg16", vgg16},
	{"mobilenetv1", mobileNetV1},
	{"mobilenetv2", mobileNetV2},
	{"efficientnetb0", efficientNetB0},
}

// ZooNames returns the names of the built-in networks: resnet18, resnet50, vgg16, mobilenetv1,
// mobilenetv2, efficientnetb0.
func ZooNames() []string {
	names := make([]string, len(zoo))
	for i, z := range zoo {
		names[i] = z.name
	}
	return names
}

// ZooNetwork builds the named zoo network (names are matched ignoring case). The network is validated;
// an unknown name is an error listing the valid ones.
func ZooNetwork(name string) (*Network, error) {
	for _, z := range zoo {
		if z.name == strings.ToLower(name) {
			n := z.build()
			if err := n.Validate(); err != nil {
				return nil, fmt.Errorf("zoo network %q: %w", z.name, err)
			}
			return n, nil
		}
	}
	return nil, fmt.Errorf("unknown zoo network %q; want one of %s", name, strings.Join(ZooNames(), ", "))
}

// builder appends nodes to a network in order, each reading the current node unless told otherwise, so
// that a network's code reads like its paper's layer table.
type builder struct {
	net *Network
	cur string // the node the next layer reads
}

func newBuilder(name string) *builder {
	return &builder{
		net: &Network{Format: Format, Name: name, Input: zooInput, Classes: zooClasses},
		cur: InputName,
	}
}

// add appends a node and makes it current.
func (b *builder) add(nd Node) string {
	b.net.Nodes = append(b.net.Nodes, nd)
	b.cur = nd.Name
	return nd.Name
}

// from makes an earlier node current (the start of a branch).
func (b *builder) from(name string) *builder {
	b.cur = name
	return b
}

// conv adds a k×k convolution with batch norm and "same" padding ((k−1)/2 per side, as torchvision pads).
func (b *builder) conv(name string, k, stride, channels int, act string) string {
	return b.add(Node{Name: name, Op: OpConv, Inputs: []string{b.cur}, Kernel: k, Stride: stride, Channels: channels, BN: true, Act: act})
}

// convBias adds a k×k convolution with a bias and no batch norm (VGG).
func (b *builder) convBias(name string, k, channels int, act string) string {
	return b.add(Node{Name: name, Op: OpConv, Inputs: []string{b.cur}, Kernel: k, Channels: channels, Act: act})
}

// depthwise adds a k×k depthwise convolution with batch norm and "same" padding.
func (b *builder) depthwise(name string, k, stride int, act string) string {
	return b.add(Node{Name: name, Op: OpDepthwise, Inputs: []string{b.cur}, Kernel: k, Stride: stride, BN: true, Act: act})
}

func (b *builder) maxPool(name string, k, stride int) string {
	return b.add(Node{Name: name, Op: OpMaxPool, Inputs: []string{b.cur}, Kernel: k, Stride: stride})
}

func (b *builder) globalAvgPool(name string) string {
	return b.add(Node{Name: name, Op: OpAvgPool, Inputs: []string{b.cur}, Global: true})
}

// dense adds a fully connected layer with a bias.
func (b *builder) dense(name string, channels int, act string) string {
	return b.add(Node{Name: name, Op: OpDense, Inputs: []string{b.cur}, Channels: channels, Act: act})
}

// sum adds the residual sum of its inputs, with an optional activation after it.
func (b *builder) sum(name, act string, inputs ...string) string {
	return b.add(Node{Name: name, Op: OpAdd, Inputs: inputs, Act: act})
}

// mul scales x channel by channel by a 1×1×C gate (squeeze-excitation).
func (b *builder) mul(name, x, gate string) string {
	return b.add(Node{Name: name, Op: OpMul, Inputs: []string{x, gate}})
}

// classifier ends a network: global average pooling and a dense layer to the class logits.
func (b *builder) classifier() *Network {
	b.globalAvgPool("avgpool")
	b.dense("fc", b.net.Classes, ActNone)
	return b.net
}

// resNet builds ResNet-18/34 (basic blocks) or ResNet-50/101/152 (bottleneck blocks, expansion 4) as in
// He et al. 2016, Table 1, in torchvision's form: BN and ReLU after each conv, ReLU after the residual
// sum, 1×1 projection shortcuts with BN where the shape changes, and the bottleneck's stride on its 3×3
// conv (ResNet v1.5).
func resNet(name string, bottleneck bool, blocks [4]int) *Network {
	b := newBuilder(name)
	b.conv("conv1", 7, 2, 64, ActReLU)
	b.maxPool("maxpool", 3, 2)
	in := 64
	for stage, width := range []int{64, 128, 256, 512} {
		for j := range blocks[stage] {
			stride := 1
			if j == 0 && stage > 0 {
				stride = 2
			}
			p := fmt.Sprintf("layer%d.%d.", stage+1, j)
			x := b.cur
			out := width
			if bottleneck {
				out = 4 * width
				b.conv(p+"conv1", 1, 1, width, ActReLU)
				b.conv(p+"conv2", 3, stride, width, ActReLU)
				b.conv(p+"conv3", 1, 1, out, ActNone)
			} else {
				b.conv(p+"conv1", 3, stride, width, ActReLU)
				b.conv(p+"conv2", 3, 1, width, ActNone)
			}
			main, short := b.cur, x
			if stride != 1 || in != out {
				short = b.from(x).conv(p+"downsample", 1, stride, out, ActNone)
			}
			b.sum(p+"add", ActReLU, main, short)
			in = out
		}
	}
	return b.classifier()
}

// vgg16 builds VGG-16 (Simonyan & Zisserman 2015, configuration D) without batch norm: thirteen 3×3
// convs with bias and ReLU in five blocks, each closed by a 2×2/2 max pool, then the classifier
// 25088 → 4096 → 4096 → 1000 (the dense layer flattens its 7×7×512 input).
func vgg16() *Network {
	b := newBuilder("vgg16")
	for blk, c := range []struct{ convs, channels int }{{2, 64}, {2, 128}, {3, 256}, {3, 512}, {3, 512}} {
		for j := range c.convs {
			b.convBias(fmt.Sprintf("block%d.conv%d", blk+1, j+1), 3, c.channels, ActReLU)
		}
		b.maxPool(fmt.Sprintf("block%d.pool", blk+1), 2, 2)
	}
	b.dense("fc6", 4096, ActReLU)
	b.dense("fc7", 4096, ActReLU)
	b.dense("fc8", b.net.Classes, ActNone)
	return b.net
}

// mobileNetV1 builds MobileNet v1 at width 1.0 (Howard et al. 2017, Table 1): a 3×3/2 stem and thirteen
// depthwise-separable blocks (3×3 depthwise, 1×1 pointwise, each with BN and ReLU).
func mobileNetV1() *Network {
	b := newBuilder("mobilenetv1")
	b.conv("conv1", 3, 2, 32, ActReLU)
	for i, s := range []struct{ channels, stride int }{
		{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2},
		{512, 1}, {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1},
	} {
		p := fmt.Sprintf("block%d.", i+1)
		b.depthwise(p+"dw", 3, s.stride, ActReLU)
		b.conv(p+"pw", 1, 1, s.channels, ActReLU)
	}
	return b.classifier()
}

// mobileNetV2 builds MobileNet v2 at width 1.0 (Sandler et al. 2018, Table 2): inverted residual blocks
// (1×1 expansion by t, 3×3 depthwise, linear 1×1 projection; BN everywhere, ReLU6 except after the
// projection), a residual sum where stride is 1 and channels are kept, and a 1×1 head to 1280 channels.
func mobileNetV2() *Network {
	b := newBuilder("mobilenetv2")
	b.conv("stem", 3, 2, 32, ActReLU6)
	in, blk := 32, 0
	// t: expansion, c: output channels, n: repeats, s: stride of the first repeat.
	for _, r := range []struct{ t, c, n, s int }{
		{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1},
	} {
		for j := range r.n {
			stride := r.s
			if j > 0 {
				stride = 1
			}
			blk++
			p := fmt.Sprintf("block%d.", blk)
			x := b.cur
			if r.t != 1 {
				b.conv(p+"expand", 1, 1, in*r.t, ActReLU6)
			}
			b.depthwise(p+"dw", 3, stride, ActReLU6)
			b.conv(p+"project", 1, 1, r.c, ActNone)
			if stride == 1 && in == r.c {
				b.sum(p+"add", ActNone, b.cur, x)
			}
			in = r.c
		}
	}
	b.conv("head", 1, 1, 1280, ActReLU6)
	return b.classifier()
}

// efficientNetB0 builds EfficientNet-B0 (Tan & Le 2019, Table 1) as torchvision does: MBConv blocks of
// 1×1 expansion, k×k depthwise and squeeze-excitation (global average pool → dense to a quarter of the
// block's input channels with swish → dense back with sigmoid → channel-wise product), a linear 1×1
// projection, a residual sum where stride is 1 and channels are kept; swish activations and a 1×1 head
// to 1280 channels.
func efficientNetB0() *Network {
	b := newBuilder("efficientnetb0")
	b.conv("stem", 3, 2, 32, ActSwish)
	in, blk := 32, 0
	// t: expansion, k: depthwise kernel, s: stride of the first repeat, c: output channels, n: repeats.
	for _, r := range []struct{ t, k, s, c, n int }{
		{1, 3, 1, 16, 1}, {6, 3, 2, 24, 2}, {6, 5, 2, 40, 2}, {6, 3, 2, 80, 3},
		{6, 5, 1, 112, 3}, {6, 5, 2, 192, 4}, {6, 3, 1, 320, 1},
	} {
		for j := range r.n {
			stride := r.s
			if j > 0 {
				stride = 1
			}
			blk++
			p := fmt.Sprintf("block%d.", blk)
			x := b.cur
			expanded := in * r.t
			if r.t != 1 {
				b.conv(p+"expand", 1, 1, expanded, ActSwish)
			}
			dw := b.depthwise(p+"dw", r.k, stride, ActSwish)
			b.globalAvgPool(p + "se.pool")
			b.dense(p+"se.reduce", max(1, in/4), ActSwish)
			gate := b.dense(p+"se.expand", expanded, ActSigmoid)
			b.mul(p+"se.scale", dw, gate)
			b.conv(p+"project", 1, 1, r.c, ActNone)
			if stride == 1 && in == r.c {
				b.sum(p+"add", ActNone, b.cur, x)
			}
			in = r.c
		}
	}
	b.conv("head", 1, 1, 1280, ActSwish)
	return b.classifier()
}
