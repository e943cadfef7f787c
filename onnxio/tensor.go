package onnxio

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/advancedclimatesystems/gonnx/onnx"
)

// constantTensor returns the value of a Constant node as a tensor, nil for the kinds import does not
// read (strings, sparse tensors).
func constantTensor(nd *onnx.NodeProto) *onnx.TensorProto {
	for _, a := range nd.GetAttribute() {
		switch a.GetName() {
		case "value":
			return a.GetT()
		case "value_int":
			return &onnx.TensorProto{DataType: int32(onnx.TensorProto_INT64), Int64Data: []int64{a.GetI()}}
		case "value_ints":
			return &onnx.TensorProto{DataType: int32(onnx.TensorProto_INT64), Dims: []int64{int64(len(a.GetInts()))}, Int64Data: a.GetInts()}
		case "value_float":
			return &onnx.TensorProto{DataType: int32(onnx.TensorProto_FLOAT), FloatData: []float32{a.GetF()}}
		case "value_floats":
			return &onnx.TensorProto{DataType: int32(onnx.TensorProto_FLOAT), Dims: []int64{int64(len(a.GetFloats()))}, FloatData: a.GetFloats()}
		}
	}
	return nil
}

// elements is the number of values a tensor's dims call for (1 for a scalar).
func elements(t *onnx.TensorProto) int64 {
	n := int64(1)
	for _, d := range t.GetDims() {
		n *= d
	}
	return n
}

// tensorInts reads an INT64 or INT32 tensor from its typed field or raw little-endian bytes.
func tensorInts(t *onnx.TensorProto) ([]int64, error) {
	n := elements(t)
	var out []int64
	switch onnx.TensorProto_DataType(t.GetDataType()) {
	case onnx.TensorProto_INT64:
		out = t.GetInt64Data()
		if raw := t.GetRawData(); len(raw) > 0 {
			out = make([]int64, len(raw)/8)
			for i := range out {
				out[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
			}
		}
	case onnx.TensorProto_INT32:
		for _, v := range t.GetInt32Data() {
			out = append(out, int64(v))
		}
		if raw := t.GetRawData(); len(raw) > 0 {
			out = make([]int64, len(raw)/4)
			for i := range out {
				out[i] = int64(int32(binary.LittleEndian.Uint32(raw[4*i:])))
			}
		}
	default:
		return nil, fmt.Errorf("data type %s, want integers", onnx.TensorProto_DataType(t.GetDataType()))
	}
	if int64(len(out)) != n {
		if len(out) == 0 {
			return nil, errNoData
		}
		return nil, fmt.Errorf("%d values for dims %v", len(out), t.GetDims())
	}
	return out, nil
}

// tensorFloats reads a FLOAT or DOUBLE tensor from its typed field or raw little-endian bytes.
func tensorFloats(t *onnx.TensorProto) ([]float64, error) {
	n := elements(t)
	var out []float64
	switch onnx.TensorProto_DataType(t.GetDataType()) {
	case onnx.TensorProto_FLOAT:
		for _, v := range t.GetFloatData() {
			out = append(out, float64(v))
		}
		if raw := t.GetRawData(); len(raw) > 0 {
			out = make([]float64, len(raw)/4)
			for i := range out {
				out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
			}
		}
	case onnx.TensorProto_DOUBLE:
		out = t.GetDoubleData()
		if raw := t.GetRawData(); len(raw) > 0 {
			out = make([]float64, len(raw)/8)
			for i := range out {
				out[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
			}
		}
	default:
		return nil, fmt.Errorf("data type %s, want floating point", onnx.TensorProto_DataType(t.GetDataType()))
	}
	if int64(len(out)) != n {
		if len(out) == 0 {
			return nil, errNoData
		}
		return nil, fmt.Errorf("%d values for dims %v", len(out), t.GetDims())
	}
	return out, nil
}
