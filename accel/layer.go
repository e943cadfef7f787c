package accel

import "fmt"

// Op is the kind of a layer, as reports name it.
type Op string

// The layer kinds. Only Conv, Depthwise and Dense become GEMMs; the others are reported with 0 cycles
// (they run on the vector unit beside the array, which the model does not price, as in the paper).
const (
	Conv      Op = "conv"
	Depthwise Op = "depthwise"
	Dense     Op = "dense"
	MaxPool   Op = "maxpool"
	AvgPool   Op = "avgpool"
	Add       Op = "add"
	Mul       Op = "mul"
	BN        Op = "bn"
	ReLU      Op = "relu" // also ReLU6
	Swish     Op = "swish"
	Sigmoid   Op = "sigmoid"
	Identity  Op = "identity"
	Zero      Op = "zero"
	Concat    Op = "concat" // channels of several maps side by side
	Pad       Op = "pad"    // zero border around a map
)

// IsGEMM says whether the op runs on the array.
func (o Op) IsGEMM() bool { return o == Conv || o == Depthwise || o == Dense }

// Layer is one layer as the accelerator sees it: an input feature map InH×InW×InC (per image, already
// padded where the layer pads), a kernel KH×KW with strides and dilations, and an output OutH×OutW×OutC.
// A dense layer has OutH = OutW = 1 and reads its whole InH×InW×InC input flattened (K = InH·InW·InC).
type Layer struct {
	Name      string `json:"name"`
	Op        Op     `json:"op"`
	InH       int    `json:"in_h"`
	InW       int    `json:"in_w"`
	InC       int    `json:"in_c"`
	OutH      int    `json:"out_h"`
	OutW      int    `json:"out_w"`
	OutC      int    `json:"out_c"`
	KH        int    `json:"kh,omitempty"`
	KW        int    `json:"kw,omitempty"`
	StrideH   int    `json:"stride_h,omitempty"`
	StrideW   int    `json:"stride_w,omitempty"`
	DilationH int    `json:"dilation_h,omitempty"`
	DilationW int    `json:"dilation_w,omitempty"`
	// Groups splits a convolution's channels into independent groups (ResNeXt, RegNet); 0 or 1 is an
	// ordinary convolution. A depthwise layer is its own op, not Groups = InC.
	Groups int `json:"groups,omitempty"`
}

// GEMM is a matrix product [M×K]·[K×N] repeated Count times with different operands (Count > 1 only
// for depthwise convolutions, one product per channel, and grouped ones, one per group).
type GEMM struct {
	M, K, N int64
	Count   int64
}

// MACs returns the multiply-accumulates of all Count products.
func (g GEMM) MACs() int64 { return g.Count * g.M * g.K * g.N }

// Empty says whether there is no product at all (a layer that does not use the array).
func (g GEMM) Empty() bool { return g.Count == 0 }

// String prints the product as "M×K×N" with a "c×" prefix when repeated.
func (g GEMM) String() string {
	if g.Empty() {
		return "-"
	}
	if g.Count == 1 {
		return fmt.Sprintf("%d×%d×%d", g.M, g.K, g.N)
	}
	return fmt.Sprintf("%d×(%d×%d×%d)", g.Count, g.M, g.K, g.N)
}

// Lower returns the GEMM a layer becomes on a weight-stationary array at the given batch
// (U-Boost NAS §3.2, DESIGN.md "Lowering"):
//   - conv k1×k2, c→f (any stride or dilation): [b·h·w × k1k2c]·[k1k2c × f], h×w the output size;
//   - grouped conv in G groups: G products [b·h·w × k1k2·c/G]·[k1k2·c/G × f/G], each group's outputs
//     reading only its own c/G input channels;
//   - depthwise k1×k2 on c channels: c products [b·h·w × k1k2]·[k1k2 × 1];
//   - dense c→f: [b × c]·[c × f];
//   - every other op: no product (Count 0).
func (l Layer) Lower(batch int) GEMM {
	b := int64(batch)
	out := b * int64(l.OutH) * int64(l.OutW)
	switch l.Op {
	case Conv:
		g := int64(max(l.Groups, 1))
		return GEMM{M: out, K: int64(l.KH) * int64(l.KW) * int64(l.InC) / g, N: int64(l.OutC) / g, Count: g}
	case Depthwise:
		return GEMM{M: out, K: int64(l.KH) * int64(l.KW), N: 1, Count: int64(l.InC)}
	case Dense:
		return GEMM{M: b, K: int64(l.InC) * int64(l.InH) * int64(l.InW), N: int64(l.OutC), Count: 1}
	}
	return GEMM{}
}

// Params returns the layer's trainable weights (without bias or BN parameters).
func (l Layer) Params() int64 {
	g := l.Lower(1)
	return g.Count * g.K * g.N
}

// Bytes returns the off-chip traffic of the layer at the given batch with each operand moved once:
// its weights, its input feature maps and its output feature maps.
func (l Layer) Bytes(batch, elementBytes int) (weights, inputs, outputs int64) {
	b, e := int64(batch), int64(elementBytes)
	weights = l.Params() * e
	inputs = b * int64(l.InH) * int64(l.InW) * int64(l.InC) * e
	outputs = b * int64(l.OutH) * int64(l.OutW) * int64(l.OutC) * e
	return
}

// Validate reports a layer whose shape is impossible or beyond the limits (limits.go), naming the field.
func (l Layer) Validate() error {
	if err := l.checkLimits(); err != nil {
		return err
	}
	pos := func(field string, v int) error {
		if v <= 0 {
			return fieldErr(field, "want a positive integer, got %d", v)
		}
		return nil
	}
	for _, c := range []struct {
		f string
		v int
	}{{"in_h", l.InH}, {"in_w", l.InW}, {"in_c", l.InC}, {"out_h", l.OutH}, {"out_w", l.OutW}, {"out_c", l.OutC}} {
		if err := pos(c.f, c.v); err != nil {
			return err
		}
	}
	switch l.Op {
	case Conv, Depthwise:
		for _, c := range []struct {
			f string
			v int
		}{{"kh", l.KH}, {"kw", l.KW}, {"stride_h", l.StrideH}, {"stride_w", l.StrideW}, {"dilation_h", l.DilationH}, {"dilation_w", l.DilationW}} {
			if err := pos(c.f, c.v); err != nil {
				return err
			}
		}
		if l.Op == Depthwise && l.OutC != l.InC {
			return fieldErr("out_c", "a depthwise layer keeps its %d channels, got %d", l.InC, l.OutC)
		}
		if g := max(l.Groups, 1); l.Groups < 0 || l.InC%g != 0 || l.OutC%g != 0 {
			return fieldErr("groups", "want a positive divisor of in_c %d and out_c %d, got %d", l.InC, l.OutC, l.Groups)
		}
	case Dense, MaxPool, AvgPool, Add, Mul, BN, ReLU, Swish, Sigmoid, Identity, Zero, Concat, Pad:
	default:
		return fieldErr("op", "unknown layer op %q", l.Op)
	}
	return nil
}
