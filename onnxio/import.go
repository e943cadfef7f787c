package onnxio

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/advancedclimatesystems/gonnx/onnx"

	"github.com/uboost/uboost/arch"
)

// Import lowers an ONNX graph to a network: one image input (NCHW, batch free), one output (the
// logits), and the ops of importOps. Convolutions become conv (group 1), depthwise (group = channels,
// one filter each) or grouped conv nodes; Gemm and MatMul on a flattened map dense nodes; batch norm
// and activations fold into the node they follow when nothing else reads that node's output, and
// become identity nodes carrying them otherwise; Flatten, Reshape to [N, −1], Dropout and Identity are
// views and add no node; a bias added after a MatMul is part of its dense node; Mul(x, Sigmoid(x)) is a
// swish and Mul(x, HardSigmoid(x)) a hard swish. Every node that cannot be lowered is listed in one
// *UnsupportedError. input overrides symbolic image dimensions (nil: the file must fix them).
func Import(mp *onnx.ModelProto, name string, input *arch.Shape) (*arch.Network, error) {
	g := mp.GetGraph()
	im := &importer{
		net:    &arch.Network{Format: arch.Format, Name: name},
		vals:   map[string]*value{},
		uses:   map[string]int{},
		names:  map[string]bool{arch.InputName: true},
		consts: map[string]*onnx.TensorProto{},
	}
	for _, t := range g.GetInitializer() {
		im.consts[t.GetName()] = t
	}
	if err := im.readInput(g, input); err != nil {
		return nil, err
	}
	for _, nd := range g.GetNode() {
		for _, in := range nd.GetInput() {
			im.uses[in]++
		}
	}
	var unsupported []string
	for _, nd := range g.GetNode() {
		label := nodeLabel(nd)
		conv, known := importOps[nd.GetOpType()]
		if !known || nd.GetDomain() != "" && nd.GetDomain() != "ai.onnx" {
			unsupported = append(unsupported, label)
			im.fail(nd)
			continue
		}
		if im.dependsOnFailed(nd) {
			im.fail(nd)
			continue
		}
		if err := conv(im, nd); err != nil {
			unsupported = append(unsupported, label+": "+err.Error())
			im.fail(nd)
		}
	}
	if len(unsupported) > 0 {
		return nil, &UnsupportedError{Nodes: unsupported}
	}
	if err := im.finish(g); err != nil {
		return nil, err
	}
	return im.net, nil
}

// importOps maps each ONNX op type import lowers to its converter.
var importOps map[string]func(*importer, *onnx.NodeProto) error

func init() {
	importOps = map[string]func(*importer, *onnx.NodeProto) error{
		"Constant":           (*importer).constant,
		"Identity":           (*importer).view,
		"Dropout":            (*importer).view,
		"Flatten":            (*importer).flatten,
		"Reshape":            (*importer).reshape,
		"Conv":               (*importer).conv,
		"Gemm":               (*importer).gemm,
		"MatMul":             (*importer).gemm,
		"BatchNormalization": (*importer).batchNorm,
		"MaxPool":            (*importer).pool,
		"AveragePool":        (*importer).pool,
		"GlobalAveragePool":  (*importer).globalPool,
		"GlobalMaxPool":      (*importer).globalPool,
		"ReduceMean":         (*importer).reduceMean,
		"Add":                (*importer).sum,
		"Mul":                (*importer).mul,
		"Concat":             (*importer).concat,
		"Pad":                (*importer).pad,
		"Relu":               (*importer).activation,
		"Clip":               (*importer).activation,
		"Sigmoid":            (*importer).activation,
		"HardSigmoid":        (*importer).activation,
		"HardSwish":          (*importer).activation,
	}
}

// value is what import knows of one ONNX tensor: the arch node whose output it is (a feature map, or
// the same map flattened to [N, H·W·C]), an activation still to apply to it, or a constant.
type value struct {
	node  string // arch node name (arch.InputName for the image)
	flat  bool   // rank 2: the node's map flattened
	konst *onnx.TensorProto
	// act, when set, is an activation of the tensor base not yet given a node: it is placed when
	// something reads the value, so that Mul(x, Sigmoid(x)) can become a swish of x instead.
	act  string
	base string
	from string // the ONNX node of the activation, naming an identity node that carries it
	// bias marks a dense node's output before its bias is added (MatMul), which an Add may absorb.
	bias bool
}

type importer struct {
	net    *arch.Network
	vals   map[string]*value
	uses   map[string]int // readers of each tensor
	names  map[string]bool
	consts map[string]*onnx.TensorProto
	failed map[string]bool
	shapes map[string]arch.Shape // cache of net.Infer, dropped when nodes are added
}

func nodeLabel(nd *onnx.NodeProto) string {
	name := nd.GetName()
	if name == "" && len(nd.GetOutput()) > 0 {
		name = nd.GetOutput()[0]
	}
	op := strconv.Quote(nd.GetOpType()) // escaped, so a hostile op type cannot break the one-line error
	return fmt.Sprintf("%q (%s)", name, op[1:len(op)-1])
}

// fail marks a node's outputs as unknown, so that the nodes reading them are skipped rather than
// reported again.
func (im *importer) fail(nd *onnx.NodeProto) {
	if im.failed == nil {
		im.failed = map[string]bool{}
	}
	for _, o := range nd.GetOutput() {
		im.failed[o] = true
	}
}

func (im *importer) dependsOnFailed(nd *onnx.NodeProto) bool {
	for _, in := range nd.GetInput() {
		if im.failed[in] {
			return true
		}
	}
	return false
}

// readInput finds the image input (the graph input that is not an initializer) and its shape.
func (im *importer) readInput(g *onnx.GraphProto, override *arch.Shape) error {
	var images []*onnx.ValueInfoProto
	for _, in := range g.GetInput() {
		if _, isConst := im.consts[in.GetName()]; !isConst {
			images = append(images, in)
		}
	}
	if len(images) != 1 {
		return fmt.Errorf("graph input: want one image input, got %d", len(images))
	}
	in := images[0]
	dims := in.GetType().GetTensorType().GetShape().GetDim()
	if len(dims) != 4 {
		return fmt.Errorf("graph input %q: want an NCHW image (rank 4), got rank %d", in.GetName(), len(dims))
	}
	var chw [3]int
	symbolic := false
	for i, d := range dims[1:] {
		chw[i] = int(d.GetDimValue())
		if chw[i] <= 0 {
			symbolic = true
		}
	}
	file := arch.Shape{C: chw[0], H: chw[1], W: chw[2]}
	switch {
	case override != nil && !symbolic && *override != file:
		return fmt.Errorf("graph input %q: the file fixes the image at %s; --input %dx%dx%d differs", in.GetName(), file, override.H, override.W, override.C)
	case override != nil:
		im.net.Input = *override
	case symbolic:
		return fmt.Errorf("graph input %q: symbolic image dimensions; give the input shape (--input HxWxC)", in.GetName())
	default:
		im.net.Input = file
	}
	im.vals[in.GetName()] = &value{node: arch.InputName}
	return nil
}

// finish places the output's pending activation, drops nodes the output does not depend on, and
// reads the class count from the output node's shape.
func (im *importer) finish(g *onnx.GraphProto) error {
	outs := g.GetOutput()
	if len(outs) != 1 {
		return fmt.Errorf("graph output: want one output (the logits), got %d", len(outs))
	}
	v, err := im.get(outs[0].GetName())
	if err != nil {
		return fmt.Errorf("graph output %q: %w", outs[0].GetName(), err)
	}
	if v.node == arch.InputName || len(im.net.Nodes) == 0 {
		return fmt.Errorf("graph output %q: the image itself; no layers", outs[0].GetName())
	}
	// The output node goes last (arch's convention); a reader of it would be dead code.
	im.net.Prune()
	if im.net.Output() != v.node {
		return fmt.Errorf("graph output %q: other nodes read it; want the logits as the last node", outs[0].GetName())
	}
	s, err := im.shape(v.node)
	if err != nil {
		return err
	}
	if s.H != 1 || s.W != 1 {
		return fmt.Errorf("graph output %q: a %s map, want logits [N, classes]", outs[0].GetName(), s)
	}
	im.net.Classes = s.C
	return im.net.Validate()
}

// get returns the value of a tensor, placing its pending activation first.
func (im *importer) get(name string) (*value, error) {
	v, ok := im.vals[name]
	if !ok {
		if _, isConst := im.consts[name]; isConst {
			return &value{konst: im.consts[name]}, nil
		}
		return nil, fmt.Errorf("input %q: produced by no node", name)
	}
	if v.act != "" {
		placed, err := im.applyAct(v.base, v.act, 1, v.from)
		if err != nil {
			return nil, err
		}
		im.vals[name] = placed
		return placed, nil
	}
	return v, nil
}

// mapInput returns input i of nd as a feature map (not a constant, not flattened unless 1×1).
func (im *importer) mapInput(nd *onnx.NodeProto, i int) (*value, error) {
	if i >= len(nd.GetInput()) {
		return nil, fmt.Errorf("missing input %d", i)
	}
	v, err := im.get(nd.GetInput()[i])
	if err != nil {
		return nil, err
	}
	if v.konst != nil {
		return nil, fmt.Errorf("input %q is a constant, want a feature map", nd.GetInput()[i])
	}
	return v, nil
}

// shape returns an arch node's output shape.
func (im *importer) shape(node string) (arch.Shape, error) {
	if im.shapes == nil {
		s, err := im.net.Infer()
		if err != nil {
			return arch.Shape{}, err
		}
		im.shapes = s
	}
	return im.shapes[node], nil
}

// add appends an arch node named after the ONNX node and returns its name. PyTorch's names are module
// paths ("/layer1/layer1.0/conv1/Conv"); '/' becomes '.', since uboost uses '/' to name a node's batch
// norm and activation layers and GoMLX to separate variable scopes. A taken name gets "#2", "#3", ….
func (im *importer) add(onnxName string, nd arch.Node) string {
	base := strings.ReplaceAll(strings.TrimPrefix(onnxName, "/"), "/", ".")
	name := base
	for k := 2; name == "" || im.names[name]; k++ {
		name = fmt.Sprintf("%s#%d", base, k)
	}
	im.names[name] = true
	nd.Name = name
	im.net.Nodes = append(im.net.Nodes, nd)
	im.shapes = nil
	return name
}

func (im *importer) set(nd *onnx.NodeProto, v *value) {
	if len(nd.GetOutput()) > 0 {
		im.vals[nd.GetOutput()[0]] = v
	}
}

// node returns the arch node of a name, nil for the image.
func (im *importer) node(name string) *arch.Node {
	for i := len(im.net.Nodes) - 1; i >= 0; i-- {
		if im.net.Nodes[i].Name == name {
			return &im.net.Nodes[i]
		}
	}
	return nil
}

// canHost says whether an activation (or, with bn, a batch norm) may be folded into the node producing
// tensor base: a node that takes it, has none yet, and whose output nothing else reads (readers is the
// number of reads that belong to the pattern being folded).
func (im *importer) canHost(base string, v *value, readers int, bn bool) *arch.Node {
	if im.uses[base] != readers || v.node == arch.InputName {
		return nil
	}
	nd := im.node(v.node)
	if nd == nil || nd.Act != arch.ActNone {
		return nil
	}
	switch nd.Op {
	case arch.OpConv, arch.OpDepthwise, arch.OpDense, arch.OpIdentity:
	case arch.OpAdd:
		if bn {
			return nil
		}
	default:
		return nil
	}
	if bn && nd.BN {
		return nil
	}
	return nd
}

// applyAct applies an activation to tensor base: folded into its producer when possible (readers:
// the reads of base that the activation pattern accounts for), else as an identity node.
func (im *importer) applyAct(base, act string, readers int, onnxName string) (*value, error) {
	v, err := im.get(base)
	if err != nil {
		return nil, err
	}
	if v.konst != nil {
		return nil, fmt.Errorf("activation of a constant")
	}
	if host := im.canHost(base, v, readers, false); host != nil {
		host.Act = act
		return &value{node: v.node, flat: v.flat}, nil
	}
	name := im.add(onnxName, arch.Node{Op: arch.OpIdentity, Inputs: []string{v.node}, Act: act})
	return &value{node: name, flat: v.flat}, nil
}

func (im *importer) constant(nd *onnx.NodeProto) error {
	t := constantTensor(nd)
	if t == nil {
		return fmt.Errorf("only value, value_int(s) and value_float(s) constants are supported")
	}
	im.set(nd, &value{konst: t})
	im.consts[nd.GetOutput()[0]] = t
	return nil
}

// view aliases the first output to the first input (Identity, Dropout in inference); PyTorch also
// writes an Identity of an initializer for weights that are equal (such as fresh batch norms).
func (im *importer) view(nd *onnx.NodeProto) error {
	if t, ok := im.consts[nd.GetInput()[0]]; ok {
		im.consts[nd.GetOutput()[0]] = t
		return nil
	}
	v, err := im.mapInput(nd, 0)
	if err != nil {
		return err
	}
	im.set(nd, v)
	return nil
}

func (im *importer) flatten(nd *onnx.NodeProto) error {
	v, err := im.mapInput(nd, 0)
	if err != nil {
		return err
	}
	if axis := attrInt(nd, "axis", 1); axis != 1 {
		return fmt.Errorf("axis %d: only axis 1 (keep the batch) is supported", axis)
	}
	im.set(nd, &value{node: v.node, flat: true})
	return nil
}

// reshape supports the views a classifier or a squeeze-excitation uses: [N, −1] or [N, H·W·C]
// (flatten), and [N, C, 1, 1] of a 1×1×C map (unflatten).
func (im *importer) reshape(nd *onnx.NodeProto) error {
	v, err := im.mapInput(nd, 0)
	if err != nil {
		return err
	}
	if len(nd.GetInput()) < 2 {
		return fmt.Errorf("missing the shape input")
	}
	target, err := im.ints(nd.GetInput()[1])
	if err != nil {
		return err
	}
	s, err := im.shape(v.node)
	if err != nil {
		return err
	}
	size := int64(s.H * s.W * s.C)
	switch {
	case len(target) == 2 && (target[1] == -1 || target[1] == size):
		im.set(nd, &value{node: v.node, flat: true})
	case len(target) == 4 && s.H == 1 && s.W == 1 && (target[1] == int64(s.C) || target[1] == -1) && target[2] == 1 && target[3] == 1:
		im.set(nd, &value{node: v.node})
	default:
		return fmt.Errorf("shape %v of a %s map: only flattening to [N, -1] and [N, C, 1, 1] of a 1×1×C map are supported", target, s)
	}
	return nil
}

// window reads a square kernel, stride, dilation and symmetric padding of Conv and pooling nodes.
func (im *importer) window(nd *onnx.NodeProto, kernel []int64) (k, s, d, p int, err error) {
	square := func(field string, vs []int64, def int) (int, error) {
		if len(vs) == 0 {
			return def, nil
		}
		for _, x := range vs[1:] {
			if x != vs[0] {
				return 0, fmt.Errorf("%s %v: only square windows are supported", field, vs)
			}
		}
		return int(vs[0]), nil
	}
	if len(kernel) != 2 {
		return 0, 0, 0, 0, fmt.Errorf("kernel_shape %v: want two spatial dimensions", kernel)
	}
	if k, err = square("kernel_shape", kernel, 1); err != nil {
		return
	}
	if s, err = square("strides", attrInts(nd, "strides"), 1); err != nil {
		return
	}
	if d, err = square("dilations", attrInts(nd, "dilations"), 1); err != nil {
		return
	}
	switch pad := attrString(nd, "auto_pad", "NOTSET"); pad {
	case "NOTSET":
		if p, err = square("pads", attrInts(nd, "pads"), 0); err != nil {
			return
		}
	case "VALID":
	default:
		err = fmt.Errorf("auto_pad %s: only explicit pads are supported", pad)
	}
	return
}

func (im *importer) conv(nd *onnx.NodeProto) error {
	x, err := im.mapInput(nd, 0)
	if err != nil {
		return err
	}
	if x.flat {
		return fmt.Errorf("input is flattened, want a feature map")
	}
	if len(nd.GetInput()) < 2 {
		return fmt.Errorf("missing the weight input")
	}
	w, ok := im.consts[nd.GetInput()[1]]
	if !ok || len(w.GetDims()) != 4 {
		return fmt.Errorf("weight %q: want a constant [M, C/group, kH, kW]", nd.GetInput()[1])
	}
	dims := w.GetDims()
	kernel := attrInts(nd, "kernel_shape")
	if kernel == nil {
		kernel = dims[2:]
	}
	k, s, d, p, err := im.window(nd, kernel)
	if err != nil {
		return err
	}
	group := int(attrInt(nd, "group", 1))
	out, in := int(dims[0]), group*int(dims[1])
	n := arch.Node{Inputs: []string{x.node}, Kernel: k, Stride: s, Dilation: d, Padding: &p}
	switch {
	case group == 1:
		n.Op, n.Channels = arch.OpConv, out
	case group == in && out == in:
		n.Op = arch.OpDepthwise
	default:
		n.Op, n.Channels, n.Groups = arch.OpConv, out, group
	}
	im.set(nd, &value{node: im.add(nd.GetName(), n)})
	return nil
}

// gemm lowers Gemm (A·B + C, B constant) and MatMul (A·B, B constant) on a flattened map to a dense
// node; a MatMul's output may still take its bias from an Add.
func (im *importer) gemm(nd *onnx.NodeProto) error {
	x, err := im.mapInput(nd, 0)
	if err != nil {
		return err
	}
	if len(nd.GetInput()) < 2 {
		return fmt.Errorf("missing the B input")
	}
	b, ok := im.consts[nd.GetInput()[1]]
	if !ok || len(b.GetDims()) != 2 {
		return fmt.Errorf("B %q: want a constant matrix", nd.GetInput()[1])
	}
	if attrInt(nd, "transA", 0) != 0 {
		return fmt.Errorf("transA 1: only A = the flattened map is supported")
	}
	s, err := im.shape(x.node)
	if err != nil {
		return err
	}
	k, f := b.GetDims()[0], b.GetDims()[1]
	if attrInt(nd, "transB", 0) != 0 {
		k, f = f, k
	}
	if !x.flat && (s.H != 1 || s.W != 1) {
		return fmt.Errorf("A is a %s map, want it flattened to [N, %d]", s, s.H*s.W*s.C)
	}
	if k != int64(s.H*s.W*s.C) {
		return fmt.Errorf("B is %d×%d but A has %d features (a %s map)", k, f, s.H*s.W*s.C, s)
	}
	name := im.add(nd.GetName(), arch.Node{Op: arch.OpDense, Inputs: []string{x.node}, Channels: int(f)})
	im.set(nd, &value{node: name, flat: true, bias: nd.GetOpType() == "MatMul"})
	return nil
}

func (im *importer) batchNorm(nd *onnx.NodeProto) error {
	x, err := im.mapInput(nd, 0)
	if err != nil {
		return err
	}
	if len(nd.GetOutput()) > 1 && slices.ContainsFunc(nd.GetOutput()[1:], func(o string) bool { return o != "" }) {
		return fmt.Errorf("training-mode outputs (running mean and variance): export the model in inference mode")
	}
	base := nd.GetInput()[0]
	if host := im.canHost(base, x, 1, true); host != nil {
		host.BN = true
		im.set(nd, &value{node: x.node, flat: x.flat})
		return nil
	}
	name := im.add(nd.GetName(), arch.Node{Op: arch.OpIdentity, Inputs: []string{x.node}, BN: true})
	im.set(nd, &value{node: name, flat: x.flat})
	return nil
}

func (im *importer) pool(nd *onnx.NodeProto) error {
	x, err := im.mapInput(nd, 0)
	if err != nil {
		return err
	}
	if x.flat {
		return fmt.Errorf("input is flattened, want a feature map")
	}
	k, s, d, p, err := im.window(nd, attrInts(nd, "kernel_shape"))
	if err != nil {
		return err
	}
	if d != 1 {
		return fmt.Errorf("dilations %d: only undilated pooling is supported", d)
	}
	if attrInt(nd, "ceil_mode", 0) != 0 {
		return fmt.Errorf("ceil_mode 1: only floor (ceil_mode 0) output sizes are supported")
	}
	op := arch.OpMaxPool
	if nd.GetOpType() == "AveragePool" {
		op = arch.OpAvgPool
		// uboost averages over the cells inside the map (PyTorch's count_include_pad=False).
		if p > 0 && attrInt(nd, "count_include_pad", 0) != 0 {
			return fmt.Errorf("count_include_pad 1 with padding: only averages over the cells inside the map are supported")
		}
	}
	name := im.add(nd.GetName(), arch.Node{Op: op, Inputs: []string{x.node}, Kernel: k, Stride: s, Padding: &p})
	im.set(nd, &value{node: name})
	return nil
}

func (im *importer) globalPool(nd *onnx.NodeProto) error {
	x, err := im.mapInput(nd, 0)
	if err != nil {
		return err
	}
	if x.flat {
		return fmt.Errorf("input is flattened, want a feature map")
	}
	op := arch.OpAvgPool
	if nd.GetOpType() == "GlobalMaxPool" {
		op = arch.OpMaxPool
	}
	name := im.add(nd.GetName(), arch.Node{Op: op, Inputs: []string{x.node}, Global: true})
	im.set(nd, &value{node: name})
	return nil
}

// reduceMean lowers a mean over both spatial axes (attribute axes, or the axes input of opset 18) to
// global average pooling; keepdims 0 leaves it flattened.
func (im *importer) reduceMean(nd *onnx.NodeProto) error {
	x, err := im.mapInput(nd, 0)
	if err != nil {
		return err
	}
	if x.flat {
		return fmt.Errorf("input is flattened, want a feature map")
	}
	axes := attrInts(nd, "axes")
	if len(nd.GetInput()) > 1 && nd.GetInput()[1] != "" {
		if axes, err = im.ints(nd.GetInput()[1]); err != nil {
			return err
		}
	}
	norm := make([]int64, len(axes))
	for i, a := range axes {
		norm[i] = (a + 4) % 4
	}
	slices.Sort(norm)
	if !slices.Equal(norm, []int64{2, 3}) {
		return fmt.Errorf("axes %v: only the mean over both spatial axes (2, 3) is supported", axes)
	}
	name := im.add(nd.GetName(), arch.Node{Op: arch.OpAvgPool, Inputs: []string{x.node}, Global: true})
	im.set(nd, &value{node: name, flat: attrInt(nd, "keepdims", 1) == 0})
	return nil
}

func (im *importer) sum(nd *onnx.NodeProto) error {
	if len(nd.GetInput()) != 2 {
		return fmt.Errorf("want 2 inputs, got %d", len(nd.GetInput()))
	}
	a, err := im.get(nd.GetInput()[0])
	if err != nil {
		return err
	}
	b, err := im.get(nd.GetInput()[1])
	if err != nil {
		return err
	}
	if a.konst != nil {
		a, b = b, a
	}
	if b.konst != nil {
		// The bias of a MatMul (PyTorch's Linear on a tensor of rank other than 2).
		if a.konst == nil && a.bias {
			im.set(nd, &value{node: a.node, flat: a.flat})
			return nil
		}
		return fmt.Errorf("adding a constant: only the bias of a MatMul is supported")
	}
	if a.flat != b.flat {
		return fmt.Errorf("adding a flattened tensor to a feature map")
	}
	name := im.add(nd.GetName(), arch.Node{Op: arch.OpAdd, Inputs: []string{a.node, b.node}})
	im.set(nd, &value{node: name, flat: a.flat})
	return nil
}

// mul lowers Mul(x, Sigmoid(x)) to a swish and Mul(x, HardSigmoid(x)) to a hard swish of x, a product
// of a map with a 1×1×C gate (squeeze-excitation) to a mul node, and a product with the constant 0 to
// a zero node.
func (im *importer) mul(nd *onnx.NodeProto) error {
	in := nd.GetInput()
	if len(in) != 2 {
		return fmt.Errorf("want 2 inputs, got %d", len(in))
	}
	for i := range 2 {
		x, gate := in[i], in[1-i]
		if pv, ok := im.vals[gate]; ok && pv.act != "" && pv.base == x && im.uses[gate] == 1 {
			act := map[string]string{arch.ActSigmoid: arch.ActSwish, arch.ActHardSigmoid: arch.ActHardSwish}[pv.act]
			if act != "" {
				// x is read by the gate's activation and by this Mul.
				v, err := im.applyAct(x, act, 2, nd.GetName())
				if err != nil {
					return err
				}
				im.set(nd, v)
				return nil
			}
		}
	}
	for i := range 2 {
		// Mul by a constant zero: uboost's zero op (a search's pruned edge), as Export writes it.
		if c, ok := im.consts[in[1-i]]; ok {
			if vals, err := tensorFloats(c); err != nil || len(vals) != 1 || vals[0] != 0 {
				return fmt.Errorf("product with a constant: only a map times 0 (zero) or a [N, C, 1, 1] gate is supported")
			}
			x, err := im.mapInput(nd, i)
			if err != nil {
				return err
			}
			im.set(nd, &value{node: im.add(nd.GetName(), arch.Node{Op: arch.OpZero, Inputs: []string{x.node}}), flat: x.flat})
			return nil
		}
	}
	a, err := im.mapInput(nd, 0)
	if err != nil {
		return err
	}
	b, err := im.mapInput(nd, 1)
	if err != nil {
		return err
	}
	if a.flat || b.flat {
		return fmt.Errorf("product of flattened tensors: only a map times a [N, C, 1, 1] gate is supported")
	}
	sa, err := im.shape(a.node)
	if err != nil {
		return err
	}
	if sa.H == 1 && sa.W == 1 {
		a, b = b, a
	}
	name := im.add(nd.GetName(), arch.Node{Op: arch.OpMul, Inputs: []string{a.node, b.node}})
	im.set(nd, &value{node: name})
	return nil
}

func (im *importer) concat(nd *onnx.NodeProto) error {
	if axis := attrInt(nd, "axis", 1); axis != 1 && axis != -3 {
		return fmt.Errorf("axis %d: only concatenation along channels (axis 1) is supported", axis)
	}
	n := arch.Node{Op: arch.OpConcat}
	for i := range nd.GetInput() {
		v, err := im.mapInput(nd, i)
		if err != nil {
			return err
		}
		if v.flat {
			return fmt.Errorf("input %q is flattened, want a feature map", nd.GetInput()[i])
		}
		n.Inputs = append(n.Inputs, v.node)
	}
	im.set(nd, &value{node: im.add(nd.GetName(), n)})
	return nil
}

// pad lowers a constant zero pad of the same width on all four sides of the map (pads from the input
// of opset 11 on, or the attribute before).
func (im *importer) pad(nd *onnx.NodeProto) error {
	x, err := im.mapInput(nd, 0)
	if err != nil {
		return err
	}
	if x.flat {
		return fmt.Errorf("input is flattened, want a feature map")
	}
	if mode := attrString(nd, "mode", "constant"); mode != "CONSTANT" {
		return fmt.Errorf("mode %s: only constant (zero) padding is supported", mode)
	}
	pads := attrInts(nd, "pads")
	if len(nd.GetInput()) > 1 {
		if pads, err = im.ints(nd.GetInput()[1]); err != nil {
			return err
		}
	}
	if len(nd.GetInput()) > 2 && nd.GetInput()[2] != "" {
		c, err := im.floats(nd.GetInput()[2])
		if err != nil {
			return err
		}
		if len(c) != 1 || c[0] != 0 {
			return fmt.Errorf("constant_value %v: only zero padding is supported", c)
		}
	}
	if len(nd.GetInput()) > 3 && nd.GetInput()[3] != "" {
		return fmt.Errorf("axes input: only pads for all four axes are supported")
	}
	// pads: [N, C, H, W] begins, then ends.
	if len(pads) != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0 ||
		pads[2] != pads[3] || pads[2] != pads[6] || pads[2] != pads[7] || pads[2] < 0 {
		return fmt.Errorf("pads %v: only the same non-negative padding on all four sides of the map is supported", pads)
	}
	p := int(pads[2])
	im.set(nd, &value{node: im.add(nd.GetName(), arch.Node{Op: arch.OpPad, Inputs: []string{x.node}, Padding: &p})})
	return nil
}

// activation records an activation as pending on its input (see value.act).
func (im *importer) activation(nd *onnx.NodeProto) error {
	var act string
	switch nd.GetOpType() {
	case "Relu":
		act = arch.ActReLU
	case "Sigmoid":
		act = arch.ActSigmoid
	case "HardSwish":
		act = arch.ActHardSwish
	case "HardSigmoid":
		alpha, beta := attrFloat(nd, "alpha", 0.2), attrFloat(nd, "beta", 0.5)
		if math.Abs(float64(alpha)-1.0/6) > 1e-6 || beta != 0.5 {
			return fmt.Errorf("alpha %g, beta %g: only PyTorch's hard sigmoid (alpha 1/6, beta 1/2) is supported", alpha, beta)
		}
		act = arch.ActHardSigmoid
	case "Clip":
		lo, hi, err := im.clipBounds(nd)
		if err != nil {
			return err
		}
		switch {
		case lo == 0 && math.IsInf(hi, 1):
			act = arch.ActReLU
		case lo == 0 && hi == 6:
			act = arch.ActReLU6
		default:
			return fmt.Errorf("bounds [%g, %g]: only [0, 6] (ReLU6) and [0, ∞) (ReLU) are supported", lo, hi)
		}
	}
	x := nd.GetInput()[0]
	v, err := im.get(x)
	if err != nil {
		return err
	}
	if v.konst != nil {
		return fmt.Errorf("activation of a constant")
	}
	im.set(nd, &value{act: act, base: x, from: nd.GetName(), flat: v.flat})
	return nil
}

// clipBounds reads Clip's min and max (inputs from opset 11 on, attributes before; absent: ∓∞).
func (im *importer) clipBounds(nd *onnx.NodeProto) (lo, hi float64, err error) {
	lo, hi = math.Inf(-1), math.Inf(1)
	if a := attr(nd, "min"); a != nil {
		lo = float64(a.GetF())
	}
	if a := attr(nd, "max"); a != nil {
		hi = float64(a.GetF())
	}
	for i, bound := range []*float64{&lo, &hi} {
		if len(nd.GetInput()) > i+1 && nd.GetInput()[i+1] != "" {
			c, err := im.floats(nd.GetInput()[i+1])
			if err != nil {
				return 0, 0, err
			}
			if len(c) != 1 {
				return 0, 0, fmt.Errorf("bound %q: want a scalar", nd.GetInput()[i+1])
			}
			*bound = c[0]
		}
	}
	return lo, hi, nil
}

// errNoData is a constant whose values were stripped (dims only): import needs the values of shape and
// bound constants, not of weights.
var errNoData = errors.New("constant has no data")

// ints reads an integer constant tensor (Reshape's shape, Pad's pads, ReduceMean's axes).
func (im *importer) ints(name string) ([]int64, error) {
	t, ok := im.consts[name]
	if !ok {
		return nil, fmt.Errorf("input %q: want a constant", name)
	}
	vals, err := tensorInts(t)
	if err != nil {
		return nil, fmt.Errorf("constant %q: %w", name, err)
	}
	return vals, nil
}

// floats reads a floating-point constant tensor (Clip's bounds, Pad's value).
func (im *importer) floats(name string) ([]float64, error) {
	t, ok := im.consts[name]
	if !ok {
		return nil, fmt.Errorf("input %q: want a constant", name)
	}
	vals, err := tensorFloats(t)
	if err != nil {
		return nil, fmt.Errorf("constant %q: %w", name, err)
	}
	return vals, nil
}

// attr returns a node's attribute by name, nil when absent.
func attr(nd *onnx.NodeProto, name string) *onnx.AttributeProto {
	for _, a := range nd.GetAttribute() {
		if a.GetName() == name {
			return a
		}
	}
	return nil
}

func attrInt(nd *onnx.NodeProto, name string, def int64) int64 {
	if a := attr(nd, name); a != nil {
		return a.GetI()
	}
	return def
}

func attrInts(nd *onnx.NodeProto, name string) []int64 { return attr(nd, name).GetInts() }

func attrFloat(nd *onnx.NodeProto, name string, def float32) float32 {
	if a := attr(nd, name); a != nil {
		return a.GetF()
	}
	return def
}

// attrString returns a string attribute upper-cased (ONNX spells modes both ways).
func attrString(nd *onnx.NodeProto, name, def string) string {
	if a := attr(nd, name); a != nil {
		return strings.ToUpper(string(a.GetS()))
	}
	return strings.ToUpper(def)
}
