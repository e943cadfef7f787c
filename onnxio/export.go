package onnxio

import (
	"fmt"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/internal/atomicfile"
)

// Export's format: opset 17 (IR version 8), the newest that both PyTorch 1.13's exporter and the
// ONNX checker of onnx 1.12 (Debian bookworm) know; the image input and the logits output are named.
const (
	Opset        = 17
	IRVersion    = 8
	InputTensor  = "input"  // float32 [batch, C, H, W]
	OutputTensor = "logits" // float32 [batch, classes]
)

// Weights gives a trained network's variables by node name and by the name package nn gives them
// under the node's scope: "weights" (conv [k, k, C/groups, F], dense [H·W·C, F]), "biases" [F], and
// "batch_normalization/scale", "…/offset", "…/mean", "…/variance" [C]. ok is false when absent.
type Weights func(node, name string) (dims []int, values []float32, ok bool)

// Export writes a network with its trained weights as an ONNX model in NCHW layout. Batch norm is kept
// as BatchNormalization nodes on its moving averages (not folded into the convolutions), so the file
// runs exactly what `uboost evaluate` runs; epsilon is the batch norms' epsilon. Convolution kernels
// are transposed to ONNX's [F, C/groups, kH, kW] and a dense layer's rows reordered from uboost's
// (h, w, c) flattening to ONNX's (c, h, w).
func Export(net *arch.Network, w Weights, epsilon float64) (*onnx.ModelProto, error) {
	if err := net.Validate(); err != nil {
		return nil, fmt.Errorf("arch %q: %w", net.Name, err)
	}
	shapes, err := net.Infer()
	if err != nil {
		return nil, err
	}
	ex := &exporter{net: net, w: w, eps: float32(epsilon), shapes: shapes, out: map[string]tensorRef{
		arch.InputName: {name: InputTensor},
	}, g: &onnx.GraphProto{Name: net.Name}}
	for i := range net.Nodes {
		if err := ex.node(&net.Nodes[i]); err != nil {
			return nil, fmt.Errorf("arch %q: node %q: %w", net.Name, net.Nodes[i].Name, err)
		}
	}
	last := ex.out[net.Output()]
	if last.flat {
		ex.g.Node[len(ex.g.Node)-1].Output[0] = OutputTensor
	} else {
		ex.emit("Flatten", net.Output()+".flatten", []string{last.name}, OutputTensor, attrI("axis", 1))
	}
	ex.g.Input = []*onnx.ValueInfoProto{valueInfo(InputTensor, "batch", net.Input.C, net.Input.H, net.Input.W)}
	ex.g.Output = []*onnx.ValueInfoProto{valueInfo(OutputTensor, "batch", net.Classes)}
	return &onnx.ModelProto{
		IrVersion:    IRVersion,
		OpsetImport:  []*onnx.OperatorSetIdProto{{Domain: "", Version: Opset}},
		ProducerName: "uboost",
		Graph:        ex.g,
	}, nil
}

// tensorRef is the ONNX tensor holding an arch node's output: a map [N, C, H, W], or for dense nodes
// the rank-2 [N, F].
type tensorRef struct {
	name string
	flat bool
}

type exporter struct {
	net    *arch.Network
	w      Weights
	eps    float32
	shapes map[string]arch.Shape
	out    map[string]tensorRef
	g      *onnx.GraphProto
	maps   map[string]string // rank-4 views of flat tensors, made once
}

// emit appends an ONNX node with one output.
func (ex *exporter) emit(op, name string, inputs []string, output string, attrs ...*onnx.AttributeProto) string {
	ex.g.Node = append(ex.g.Node, &onnx.NodeProto{OpType: op, Name: name, Input: inputs, Output: []string{output}, Attribute: attrs})
	return output
}

// init adds an initializer.
func (ex *exporter) init(name string, dims []int64, values []float32) string {
	ex.g.Initializer = append(ex.g.Initializer, &onnx.TensorProto{Name: name, DataType: int32(onnx.TensorProto_FLOAT), Dims: dims, FloatData: values})
	return name
}

func (ex *exporter) initInts(name string, values ...int64) string {
	ex.g.Initializer = append(ex.g.Initializer, &onnx.TensorProto{Name: name, DataType: int32(onnx.TensorProto_INT64), Dims: []int64{int64(len(values))}, Int64Data: values})
	return name
}

// asMap returns a node's output as a rank-4 tensor, reshaping a dense output [N, F] to [N, F, 1, 1].
func (ex *exporter) asMap(node string) string {
	ref := ex.out[node]
	if !ref.flat {
		return ref.name
	}
	if ex.maps == nil {
		ex.maps = map[string]string{}
	}
	if m, ok := ex.maps[node]; ok {
		return m
	}
	shape := ex.initInts(node+".map_shape", 0, int64(ex.shapes[node].C), 1, 1)
	m := ex.emit("Reshape", node+".map", []string{ref.name, shape}, node+".map")
	ex.maps[node] = m
	return m
}

// weight reads a variable, checking its size.
func (ex *exporter) weight(node, name string, want ...int) ([]float32, error) {
	dims, values, ok := ex.w(node, name)
	if !ok {
		return nil, fmt.Errorf("variable %q: missing from the checkpoint", name)
	}
	if fmt.Sprint(dims) != fmt.Sprint(want) || len(values) != product(want) {
		return nil, fmt.Errorf("variable %q: dims %v, want %v", name, dims, want)
	}
	return values, nil
}

func product(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

func (ex *exporter) node(nd *arch.Node) error {
	in := ex.shapes[nd.Inputs[0]]
	out := ex.shapes[nd.Name]
	k, s, d, p := nd.Geometry()
	window := []*onnx.AttributeProto{attrIs("kernel_shape", k, k), attrIs("strides", s, s), attrIs("pads", p, p, p, p)}
	var y string
	flat := false
	switch nd.Op {
	case arch.OpConv, arch.OpDepthwise:
		groups := max(nd.Groups, 1)
		if nd.Op == arch.OpDepthwise {
			groups = in.C
		}
		cg, f := in.C/groups, out.C
		kernel, err := ex.weight(nd.Name, "weights", k, k, cg, f)
		if err != nil {
			return err
		}
		// [kh, kw, c, f] → [f, c, kh, kw].
		w := make([]float32, len(kernel))
		for i := range k {
			for j := range k {
				for c := range cg {
					for o := range f {
						w[((o*cg+c)*k+i)*k+j] = kernel[((i*k+j)*cg+c)*f+o]
					}
				}
			}
		}
		inputs := []string{ex.asMap(nd.Inputs[0]), ex.init(nd.Name+".weight", []int64{int64(f), int64(cg), int64(k), int64(k)}, w)}
		if !nd.BN {
			b, err := ex.weight(nd.Name, "biases", f)
			if err != nil {
				return err
			}
			inputs = append(inputs, ex.init(nd.Name+".bias", []int64{int64(f)}, b))
		}
		y = ex.emit("Conv", nd.Name, inputs, nd.Name, append(window, attrIs("dilations", d, d), attrI("group", groups))...)
	case arch.OpDense:
		x := ex.out[nd.Inputs[0]].name
		if !ex.out[nd.Inputs[0]].flat {
			x = ex.emit("Flatten", nd.Name+".flatten", []string{x}, nd.Name+".flatten", attrI("axis", 1))
		}
		kIn, f := in.H*in.W*in.C, nd.Channels
		m, err := ex.weight(nd.Name, "weights", kIn, f)
		if err != nil {
			return err
		}
		// Row (h·W + w)·C + c of uboost's NHWC flattening is row (c·H + h)·W + w of ONNX's NCHW one.
		b := make([]float32, len(m))
		for h := range in.H {
			for wi := range in.W {
				for c := range in.C {
					copy(b[((c*in.H+h)*in.W+wi)*f:][:f], m[((h*in.W+wi)*in.C+c)*f:][:f])
				}
			}
		}
		inputs := []string{x, ex.init(nd.Name+".weight", []int64{int64(kIn), int64(f)}, b)}
		if !nd.BN {
			bias, err := ex.weight(nd.Name, "biases", f)
			if err != nil {
				return err
			}
			inputs = append(inputs, ex.init(nd.Name+".bias", []int64{int64(f)}, bias))
		}
		y, flat = ex.emit("Gemm", nd.Name, inputs, nd.Name), true
	case arch.OpMaxPool, arch.OpAvgPool:
		x := ex.asMap(nd.Inputs[0])
		switch {
		case nd.Global && nd.Op == arch.OpMaxPool:
			y = ex.emit("GlobalMaxPool", nd.Name, []string{x}, nd.Name)
		case nd.Global:
			y = ex.emit("GlobalAveragePool", nd.Name, []string{x}, nd.Name)
		case nd.Op == arch.OpMaxPool:
			y = ex.emit("MaxPool", nd.Name, []string{x}, nd.Name, window...)
		default:
			// uboost averages over the cells inside the map.
			y = ex.emit("AveragePool", nd.Name, []string{x}, nd.Name, append(window, attrI("count_include_pad", 0))...)
		}
	case arch.OpAdd:
		y = ex.asMap(nd.Inputs[0])
		for j, other := range nd.Inputs[1:] {
			name := nd.Name
			if j < len(nd.Inputs)-2 {
				name = fmt.Sprintf("%s.%d", nd.Name, j)
			}
			y = ex.emit("Add", name, []string{y, ex.asMap(other)}, name)
		}
	case arch.OpMul:
		y = ex.emit("Mul", nd.Name, []string{ex.asMap(nd.Inputs[0]), ex.asMap(nd.Inputs[1])}, nd.Name)
	case arch.OpConcat:
		var xs []string
		for _, name := range nd.Inputs {
			xs = append(xs, ex.asMap(name))
		}
		y = ex.emit("Concat", nd.Name, xs, nd.Name, attrI("axis", 1))
	case arch.OpPad:
		pads := ex.initInts(nd.Name+".pads", 0, 0, int64(p), int64(p), 0, 0, int64(p), int64(p))
		y = ex.emit("Pad", nd.Name, []string{ex.asMap(nd.Inputs[0]), pads}, nd.Name, attrS("mode", "constant"))
	case arch.OpIdentity:
		ref := ex.out[nd.Inputs[0]]
		y, flat = ex.emit("Identity", nd.Name, []string{ref.name}, nd.Name), ref.flat
	case arch.OpZero:
		zero := ex.init(nd.Name+".zero", nil, []float32{0})
		y = ex.emit("Mul", nd.Name, []string{ex.asMap(nd.Inputs[0]), zero}, nd.Name)
	default:
		return fmt.Errorf("op %q: no ONNX export", nd.Op)
	}
	if nd.BN {
		var params []string
		for _, v := range []string{"scale", "offset", "mean", "variance"} {
			values, err := ex.weight(nd.Name, "batch_normalization/"+v, out.C)
			if err != nil {
				return err
			}
			params = append(params, ex.init(nd.Name+".bn."+v, []int64{int64(out.C)}, values))
		}
		y = ex.emit("BatchNormalization", nd.Name+".bn", append([]string{y}, params...), nd.Name+".bn", attrF("epsilon", ex.eps))
	}
	y = ex.activation(nd.Name, nd.Act, y)
	ex.out[nd.Name] = tensorRef{name: y, flat: flat}
	return nil
}

// activation appends the ONNX form of one of arch's activations.
func (ex *exporter) activation(node, act, x string) string {
	name := node + "." + act
	switch act {
	case arch.ActReLU:
		return ex.emit("Relu", name, []string{x}, name)
	case arch.ActReLU6:
		lo, hi := ex.init(name+".min", nil, []float32{0}), ex.init(name+".max", nil, []float32{6})
		return ex.emit("Clip", name, []string{x, lo, hi}, name)
	case arch.ActSigmoid:
		return ex.emit("Sigmoid", name, []string{x}, name)
	case arch.ActSwish:
		s := ex.emit("Sigmoid", name+".sigmoid", []string{x}, name+".sigmoid")
		return ex.emit("Mul", name, []string{x, s}, name)
	case arch.ActHardSigmoid:
		return ex.emit("HardSigmoid", name, []string{x}, name, attrF("alpha", 1.0/6), attrF("beta", 0.5))
	case arch.ActHardSwish:
		return ex.emit("HardSwish", name, []string{x}, name)
	}
	return x
}

func attrI(name string, v int) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_INT, I: int64(v)}
}

func attrIs(name string, vs ...int) *onnx.AttributeProto {
	a := &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_INTS}
	for _, v := range vs {
		a.Ints = append(a.Ints, int64(v))
	}
	return a
}

func attrF(name string, v float32) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_FLOAT, F: v}
}

func attrS(name, v string) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_STRING, S: []byte(v)}
}

// valueInfo describes a float32 tensor whose first dimension is the symbolic batch.
func valueInfo(name, batch string, dims ...int) *onnx.ValueInfoProto {
	shape := &onnx.TensorShapeProto{Dim: []*onnx.TensorShapeProto_Dimension{{Value: &onnx.TensorShapeProto_Dimension_DimParam{DimParam: batch}}}}
	for _, d := range dims {
		shape.Dim = append(shape.Dim, &onnx.TensorShapeProto_Dimension{Value: &onnx.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
	}
	return &onnx.ValueInfoProto{Name: name, Type: &onnx.TypeProto{Value: &onnx.TypeProto_TensorType{
		TensorType: &onnx.TypeProto_Tensor{ElemType: int32(onnx.TensorProto_FLOAT), Shape: shape}}}}
}

// Write encodes a model and writes it to path atomically: to a temporary file in the same directory,
// synced, then renamed over path, so that a crash leaves the old file or the new one, never a torn one.
func Write(path string, mp *onnx.ModelProto) error {
	data, err := proto.Marshal(mp)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.WriteBytes(path, data)
}
