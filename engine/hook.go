package engine

// This file is the only place that reaches into GoMLX v0.26.0's simplego internals.
//
// simplego runs a graph by looking up, for each node's op type, an executor in a package-level
// table (nodeExecutors, filled by the unexported setNodeExecutor at init). It offers no exported
// way to add ops or replace executors, so, while go.mod pins v0.26.0, we pull the few unexported
// functions and tables we need with //go:linkname and read a few unexported fields of Node, Builder, Buffer and
// Backend at offsets found by name through reflect. checkSimplego runs at init and panics with a clear message if any of it
// no longer matches: a silent mismatch would corrupt memory, a loud one costs a rebuild.

import (
	"fmt"
	"reflect"
	"runtime/debug"
	"unsafe"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// pinnedGoMLX is the GoMLX version whose simplego internals this package hooks into.
const pinnedGoMLX = "v0.26.0"

// executor has the signature of simplego's nodeExecutor.
type executor = func(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer,
	inputsOwned []bool) (*simplego.Buffer, error)

// multiExecutor has the signature of simplego's nodeMultiOutputExecutor.
type multiExecutor = func(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer,
	inputsOwned []bool) ([]*simplego.Buffer, error)

//go:linkname sgSetNodeExecutor github.com/gomlx/gomlx/backends/simplego.setNodeExecutor
func sgSetNodeExecutor(opType backends.OpType, priority int, fn executor)

//go:linkname sgNodeExecutors github.com/gomlx/gomlx/backends/simplego.nodeExecutors
var sgNodeExecutors [backends.OpTypeLast]executor

//go:linkname sgExecReduceWindow github.com/gomlx/gomlx/backends/simplego.execReduceWindow
func sgExecReduceWindow(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer,
	inputsOwned []bool) (*simplego.Buffer, error)

//go:linkname sgMultiExecutors github.com/gomlx/gomlx/backends/simplego.multiOutputsNodeExecutors
var sgMultiExecutors [backends.OpTypeLast]multiExecutor

//go:linkname sgNewNode github.com/gomlx/gomlx/backends/simplego.(*Builder).newNode
func sgNewNode(b *simplego.Builder, opType backends.OpType, shape shapes.Shape, inputs ...*simplego.Node) *simplego.Node

//go:linkname sgNewMultiOutputsNode github.com/gomlx/gomlx/backends/simplego.(*Builder).newMultiOutputsNode
func sgNewMultiOutputsNode(b *simplego.Builder, opType backends.OpType, outputShapes []shapes.Shape,
	inputs ...*simplego.Node) *simplego.Node

//go:linkname sgGetBufferForShape github.com/gomlx/gomlx/backends/simplego.(*Backend).getBufferForShape
func sgGetBufferForShape(b *simplego.Backend, shape shapes.Shape) *simplego.Buffer

//go:linkname sgPutBuffer github.com/gomlx/gomlx/backends/simplego.(*Backend).putBuffer
func sgPutBuffer(b *simplego.Backend, buffer *simplego.Buffer)

//go:linkname sgCloneBuffer github.com/gomlx/gomlx/backends/simplego.(*Backend).cloneBuffer
func sgCloneBuffer(b *simplego.Backend, buffer *simplego.Buffer) *simplego.Buffer

//go:linkname sgExecTranspose github.com/gomlx/gomlx/backends/simplego.execTranspose
func sgExecTranspose(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer,
	inputsOwned []bool) (*simplego.Buffer, error)

//go:linkname sgExecConvGeneral github.com/gomlx/gomlx/backends/simplego.execConvGeneral
func sgExecConvGeneral(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer,
	inputsOwned []bool) (*simplego.Buffer, error)

//go:linkname sgExecDotGeneral github.com/gomlx/gomlx/backends/simplego.execDotGeneral
func sgExecDotGeneral(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer,
	inputsOwned []bool) (*simplego.Buffer, error)

//go:linkname sgSetMaxParallelism github.com/gomlx/gomlx/backends/simplego.(*workersPool).SetMaxParallelism
func sgSetMaxParallelism(w unsafe.Pointer, maxParallelism int)

// priorityUser is simplego's registerPriority reserved for user overrides: it wins over every
// executor simplego registers itself, whatever the init order.
const priorityUser = 100

// simplego's opsExecutionType for sequential execution (exec.go: dynamic, parallel, sequential).
const sgOpsSequential = 2

// Offsets of the unexported fields we use, found by name at init.
var (
	offNodeData, offNodeShape, offNodeMulti  uintptr
	offNodeOpType, offNodeIdx, offNodeInputs uintptr
	offBackendWorkers, offBackendOpsExec     uintptr
	offBuilderNodes, offBuilderInputs        uintptr
	offBuilderOutputs, offBuilderBackend     uintptr
	offBufferValid                           uintptr
)

func init() {
	if err := checkSimplego(); err != nil {
		panic(err)
	}
}

// checkSimplego verifies that simplego still has the layout this file was written against.
func checkSimplego() error {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "github.com/gomlx/gomlx" {
				v := m.Version
				if m.Replace != nil {
					v = m.Replace.Version
				}
				if v != pinnedGoMLX && v != "(devel)" && v != "" {
					return fmt.Errorf("engine: hooks written for GoMLX %s, linked against %s: "+
						"re-check engine/hook.go before changing the pin", pinnedGoMLX, v)
				}
			}
		}
	}
	field := func(t reflect.Type, name string, want reflect.Type) (uintptr, error) {
		f, ok := t.FieldByName(name)
		if !ok {
			return 0, fmt.Errorf("engine: simplego.%s has no field %q (GoMLX changed? pinned %s)", t.Name(), name, pinnedGoMLX)
		}
		if want != nil && f.Type != want {
			return 0, fmt.Errorf("engine: simplego.%s.%s is %s, want %s (GoMLX changed? pinned %s)",
				t.Name(), name, f.Type, want, pinnedGoMLX)
		}
		return f.Offset, nil
	}
	nodeT := reflect.TypeOf(simplego.Node{})
	nodePtrs := reflect.TypeOf([]*simplego.Node(nil))
	var err error
	if offNodeData, err = field(nodeT, "data", reflect.TypeOf((*any)(nil)).Elem()); err != nil {
		return err
	}
	if offNodeShape, err = field(nodeT, "shape", reflect.TypeOf(shapes.Shape{})); err != nil {
		return err
	}
	if offNodeMulti, err = field(nodeT, "multiOutputsNodes", nodePtrs); err != nil {
		return err
	}
	if offNodeOpType, err = field(nodeT, "opType", reflect.TypeOf(backends.OpType(0))); err != nil {
		return err
	}
	if offNodeIdx, err = field(nodeT, "builderIdx", reflect.TypeOf(0)); err != nil {
		return err
	}
	if offNodeInputs, err = field(nodeT, "inputs", nodePtrs); err != nil {
		return err
	}
	builderT := reflect.TypeOf(simplego.Builder{})
	if offBuilderNodes, err = field(builderT, "nodes", nodePtrs); err != nil {
		return err
	}
	if offBuilderInputs, err = field(builderT, "inputs", nodePtrs); err != nil {
		return err
	}
	if offBuilderOutputs, err = field(builderT, "outputs", nodePtrs); err != nil {
		return err
	}
	if offBuilderBackend, err = field(builderT, "backend", reflect.TypeOf((*simplego.Backend)(nil))); err != nil {
		return err
	}
	backendT := reflect.TypeOf(simplego.Backend{})
	if offBackendWorkers, err = field(backendT, "workers", nil); err != nil {
		return err
	}
	if f, _ := backendT.FieldByName("workers"); f.Type.Name() != "workersPool" {
		return fmt.Errorf("engine: simplego.Backend.workers is %s, want workersPool (pinned %s)", f.Type, pinnedGoMLX)
	}
	if offBackendOpsExec, err = field(backendT, "opsExecutionType", nil); err != nil {
		return err
	}
	if f, _ := backendT.FieldByName("opsExecutionType"); f.Type.Kind() != reflect.Int {
		return fmt.Errorf("engine: simplego.Backend.opsExecutionType is %s, want an int kind (pinned %s)", f.Type, pinnedGoMLX)
	}
	bufT := reflect.TypeOf(simplego.Buffer{})
	if _, err = field(bufT, "flat", reflect.TypeOf((*any)(nil)).Elem()); err != nil {
		return err
	}
	if offBufferValid, err = field(bufT, "valid", reflect.TypeOf(false)); err != nil {
		return err
	}
	return nil
}

func nodeData(n *simplego.Node) any { return *(*any)(unsafe.Add(unsafe.Pointer(n), offNodeData)) }

func setNodeData(n *simplego.Node, data any) {
	*(*any)(unsafe.Add(unsafe.Pointer(n), offNodeData)) = data
}

func nodeShape(n *simplego.Node) shapes.Shape {
	return *(*shapes.Shape)(unsafe.Add(unsafe.Pointer(n), offNodeShape))
}

func nodeOpType(n *simplego.Node) backends.OpType {
	return *(*backends.OpType)(unsafe.Add(unsafe.Pointer(n), offNodeOpType))
}

func nodeMultiOutputs(n *simplego.Node) []*simplego.Node {
	return *(*[]*simplego.Node)(unsafe.Add(unsafe.Pointer(n), offNodeMulti))
}

func nodeIndex(n *simplego.Node) int { return *(*int)(unsafe.Add(unsafe.Pointer(n), offNodeIdx)) }

func nodeInputs(n *simplego.Node) []*simplego.Node {
	return *(*[]*simplego.Node)(unsafe.Add(unsafe.Pointer(n), offNodeInputs))
}

// builderNodes returns every node of a builder, in creation (a topological) order.
func builderNodes(b *simplego.Builder) []*simplego.Node {
	return *(*[]*simplego.Node)(unsafe.Add(unsafe.Pointer(b), offBuilderNodes))
}

// builderInputs returns a builder's parameter nodes, in the order Execute takes its inputs.
func builderInputs(b *simplego.Builder) []*simplego.Node {
	return *(*[]*simplego.Node)(unsafe.Add(unsafe.Pointer(b), offBuilderInputs))
}

// builderOutputs returns a compiled builder's output nodes.
func builderOutputs(b *simplego.Builder) []*simplego.Node {
	return *(*[]*simplego.Node)(unsafe.Add(unsafe.Pointer(b), offBuilderOutputs))
}

func builderBackend(b *simplego.Builder) *simplego.Backend {
	return *(**simplego.Backend)(unsafe.Add(unsafe.Pointer(b), offBuilderBackend))
}

// bufferValid reports whether a buffer is live (not finalized, donated or back in the pool).
func bufferValid(buf *simplego.Buffer) bool {
	return *(*bool)(unsafe.Add(unsafe.Pointer(buf), offBufferValid))
}

// setSimplegoThreads caps simplego's own worker pool and makes it run ops one after another:
// the engine's kernels spread each large op over the threads themselves, and independent ops run
// at once on the engine's own scheduler (sched.go). simplego's parallel op scheduler is not
// race-free in GoMLX v0.26.0: (*Executable).executeNode (backends/simplego/exec.go, line 430)
// reads execBuf.numUsed and execBuf.owned without execBuf.mu to decide whether an op may
// overwrite its input, while the op that finished before it updates them under the lock (line
// 478); go test -race flags that read and, through it, in-place writes into buffers another op
// has just read.
func setSimplegoThreads(b *simplego.Backend, n int) {
	sgSetMaxParallelism(unsafe.Add(unsafe.Pointer(b), offBackendWorkers), n)
	*(*int)(unsafe.Add(unsafe.Pointer(b), offBackendOpsExec)) = sgOpsSequential
}

// newOutput takes a (not zeroed) buffer of the given shape from simplego's pool.
func newOutput(b *simplego.Backend, shape shapes.Shape) *simplego.Buffer {
	return sgGetBufferForShape(b, shape)
}

// f32 returns the float32 storage of a buffer.
func f32(b *simplego.Backend, buf *simplego.Buffer) []float32 {
	flat, _ := b.BufferData(buf)
	return flat.([]float32)
}

// rawBytes views any buffer's storage as bytes, for dtype-agnostic data movement (Reverse, Pad).
func rawBytes(b *simplego.Backend, buf *simplego.Buffer) []byte {
	flat, _ := b.BufferData(buf)
	v := reflect.ValueOf(flat)
	n := v.Len() * int(v.Type().Elem().Size())
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(v.UnsafePointer()), n)
}

// bufShape returns a buffer's shape.
func bufShape(b *simplego.Backend, buf *simplego.Buffer) shapes.Shape {
	s, _ := b.BufferShape(buf)
	return s
}
