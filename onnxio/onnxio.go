// Package onnxio reads ONNX models into uboost's network description (arch.Network), so that a network
// trained elsewhere can be priced, simulated and trained like arch.json or the zoo, and writes a trained
// uboost network out as ONNX, so that it can run elsewhere.
//
// The ONNX protobuf types are those of github.com/advancedclimatesystems/gonnx (package onnx, generated
// from ONNX's onnx.proto3); this package only maps graphs to and from them.
//
// Layout: ONNX images are NCHW, uboost's are NHWC. Import needs only the shapes of the weights (an
// initializer may carry dims and no data, as the weight-stripped fixtures do); export transposes every
// weight to ONNX's layout (see export.go).
package onnxio

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/internal/inputfile"
)

// MaxFileBytes bounds the size of an ONNX file read: protobuf messages cannot exceed 2 GiB, and larger
// models keep their weights in external data files, which import does not need.
const MaxFileBytes = 2 << 30

// Ext is the file extension of ONNX models.
const Ext = ".onnx"

// IsONNX says whether a path names an ONNX file (by its extension, ignoring case).
func IsONNX(path string) bool { return strings.EqualFold(filepath.Ext(path), Ext) }

// ReadModel reads and decodes an ONNX file, refusing one larger than MaxFileBytes.
func ReadModel(path string) (*onnx.ModelProto, error) {
	data, err := inputfile.Read(path, MaxFileBytes)
	if err != nil {
		return nil, err
	}
	mp := &onnx.ModelProto{}
	if err := proto.Unmarshal(data, mp); err != nil {
		return nil, fmt.Errorf("%s: not an ONNX model: %v", path, err)
	}
	if mp.Graph == nil {
		return nil, fmt.Errorf("%s: field %q: missing; not an ONNX model", path, "graph")
	}
	return mp, nil
}

// Load reads an ONNX file and lowers its graph to a validated network named after the file. input
// gives the image's height, width and channels where the file leaves them symbolic (nil: the file
// must fix them). Errors name the file.
func Load(path string, input *arch.Shape) (*arch.Network, error) {
	mp, err := ReadModel(path)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	net, err := Import(mp, name, input)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return net, nil
}

// UnsupportedError lists every node of a graph that import cannot lower, each with its op type and
// why, so that a user sees all of them at once.
type UnsupportedError struct {
	Nodes []string // "NAME (OP): reason" or "NAME (OP)"
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%d unsupported node(s): %s", len(e.Nodes), strings.Join(e.Nodes, "; "))
}
