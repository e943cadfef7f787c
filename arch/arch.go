// Package arch is uboost's one description of a network: a directed acyclic graph of layers with their
// shapes, read from and written to arch.json ("uboost-arch/v1"), validated on load, and lowered once to the
// accelerator's layers (accel.Layer). The search writes it, the zoo builds it in code, and every consumer
// (cost, sim, train, report) reads it — a network is described once.
//
// A network is a list of nodes in topological order. Each node names its inputs (the image is the
// implicit node "input"); its output shape follows from its op and attributes (see Infer). Convolutions
// and dense layers carry their batch norm and activation as attributes, which lowering reports as
// separate zero-cycle layers.
//
// Cells: nodes produced by the search carry the name of their cell and, for searched edges, the edge they
// implement, so reports can draw the cell structure; the graph itself is all that defines the network.
package arch

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/uboost/uboost/internal/atomicfile"
	"github.com/uboost/uboost/internal/inputfile"
	"github.com/uboost/uboost/internal/jsonfile"
)

// Format is the version tag every arch.json carries.
const Format = "uboost-arch/v1"

// InputName is the name by which nodes refer to the network's input image.
const InputName = "input"

// Node ops. Conv, Depthwise and Dense carry weights; the rest are parameter-free.
const (
	OpConv      = "conv"      // k×k convolution (Kernel, Stride, Dilation, Padding, Channels, Groups)
	OpDepthwise = "depthwise" // k×k depthwise convolution, channels unchanged
	OpDense     = "dense"     // fully connected layer on the flattened input (Channels outputs)
	OpMaxPool   = "maxpool"   // k×k max pooling (Kernel, Stride, Padding), or over the whole map when Global
	OpAvgPool   = "avgpool"   // k×k average pooling, or over the whole map when Global
	OpAdd       = "add"       // element-wise sum of equally shaped inputs
	OpMul       = "mul"       // element-wise product; a 1×1×C input broadcasts (squeeze-excitation)
	OpIdentity  = "identity"  // passes its input through
	OpZero      = "zero"      // outputs zeros shaped like its input
	OpConcat    = "concat"    // channels of equally sized inputs side by side, in input order
	OpPad       = "pad"       // zero border of Padding cells on each side
)

// Ops lists every node op, in the order above.
var Ops = []string{OpConv, OpDepthwise, OpDense, OpMaxPool, OpAvgPool, OpAdd, OpMul, OpIdentity, OpZero, OpConcat, OpPad}

// Activations a weighted node may apply after its (optional) batch norm.
const (
	ActNone    = ""
	ActReLU    = "relu"
	ActReLU6   = "relu6"
	ActSwish   = "swish"
	ActSigmoid = "sigmoid"
	// ActHardSigmoid is min(max(x/6 + 1/2, 0), 1) and ActHardSwish x·hardsigmoid(x), as PyTorch and
	// MobileNetV3 define them.
	ActHardSigmoid = "hardsigmoid"
	ActHardSwish   = "hardswish"
)

// Shape is a feature map's height, width and channels (one image; NHWC without N).
type Shape struct {
	H int `json:"h"`
	W int `json:"w"`
	C int `json:"c"`
}

func (s Shape) String() string { return fmt.Sprintf("%d×%d×%d", s.H, s.W, s.C) }

// Node is one layer of the network graph.
type Node struct {
	Name   string   `json:"name"`
	Op     string   `json:"op"`
	Inputs []string `json:"inputs"`
	// Kernel, Stride and Dilation are square (one value for both axes); 0 means 1 where they apply.
	Kernel   int `json:"kernel,omitempty"`
	Stride   int `json:"stride,omitempty"`
	Dilation int `json:"dilation,omitempty"`
	// Padding on each side; nil means "same" for stride 1: dilation·(kernel−1)/2.
	Padding  *int `json:"padding,omitempty"`
	Channels int  `json:"channels,omitempty"`
	// Groups splits a conv's input and output channels into that many independent groups (ResNeXt,
	// RegNet); 0 or 1 is an ordinary convolution.
	Groups int `json:"groups,omitempty"`
	// BN and Act follow a conv, depthwise, dense or identity node (batch norm first); an add node may
	// take Act (the ReLU after a ResNet residual sum). An identity node with them is a batch norm or
	// activation that follows no weighted node (imported networks).
	BN     bool   `json:"bn,omitempty"`
	Act    string `json:"act,omitempty"`
	Global bool   `json:"global,omitempty"`
	// Cell and Edge say where in the searched cell structure the node came from (informational).
	Cell string `json:"cell,omitempty"`
	Edge string `json:"edge,omitempty"`
}

// Network is a whole architecture: input, classes and nodes in topological order. The last node is the
// output (the classifier's logits).
type Network struct {
	Format  string `json:"format"`
	Name    string `json:"name"`
	Input   Shape  `json:"input"`
	Classes int    `json:"classes"`
	Nodes   []Node `json:"nodes"`
	// Search records how the network was found (method, λ, β, seed, accelerator); free-form.
	Search map[string]any `json:"search,omitempty"`
}

// Output returns the name of the output node.
func (n *Network) Output() string {
	if len(n.Nodes) == 0 {
		return InputName
	}
	return n.Nodes[len(n.Nodes)-1].Name
}

// Load reads and validates an arch.json file. Errors name the file and the offending field.
func Load(path string) (*Network, error) {
	data, err := inputfile.Read(path, inputfile.MaxBytes)
	if err != nil {
		return nil, err
	}
	n, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}

// Parse decodes and validates an arch.json document. Unknown fields are errors, so that a misspelt
// attribute is not silently dropped.
func Parse(data []byte) (*Network, error) {
	var probe struct {
		Format *string `json:"format"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, jsonfile.Describe(data, err)
	}
	if probe.Format == nil {
		return nil, fmt.Errorf("field %q: missing; want %q", "format", Format)
	}
	if *probe.Format != Format {
		return nil, fmt.Errorf("field %q: unsupported version %q; want %q", "format", *probe.Format, Format)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var n Network
	if err := dec.Decode(&n); err != nil {
		return nil, jsonfile.Describe(data, err)
	}
	if err := n.Validate(); err != nil {
		return nil, err
	}
	return &n, nil
}

// Save writes the network as indented JSON, atomically.
func (n *Network) Save(path string) error {
	data, err := json.MarshalIndent(n, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, append(data, '\n'))
}
