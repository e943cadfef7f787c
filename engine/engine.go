package engine

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
)

// BackendName is the name this backend registers under in GoMLX's backend registry: the value of
// GOMLX_BACKEND (or the name in backends.NewWithConfig) that selects it.
const BackendName = "uboost"

// EnvBackend is GoMLX's environment variable naming the backend. Backend() honours it only when
// it names a backend other than this one or simplego ("go"): e.g. "xla:cuda" for GPU users, in a
// binary built with -tags xla (see xla.go).
const EnvBackend = "GOMLX_BACKEND"

func init() {
	backends.Register(BackendName, func(config string) (backends.Backend, error) { return New(config) })
}

// Engine is the uboost CPU backend: GoMLX's simplego with the missing CNN-training ops added, its
// convolution bugs fixed, and fast float32 executors for convolution and matrix products.
// It implements backends.Backend.
type Engine struct {
	*simplego.Backend
}

// New creates an engine backend. config is passed on to simplego (e.g. "ops_sequential"); most
// callers want the process-wide Backend() instead.
func New(config string) (*Engine, error) {
	sg, err := simplego.New(config)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	e := &Engine{Backend: sg.(*simplego.Backend)}
	setSimplegoThreads(e.Backend, Threads())
	return e, nil
}

var (
	singletonMu sync.Mutex
	singleton   backends.Backend
	singleErr   error
	engines     []*Engine
)

// Backend returns the process-wide backend every uboost package should use. It is created at the
// first call and shared (GoMLX backends are safe for concurrent use). By default it is the engine;
// GOMLX_BACKEND set to another registered backend (e.g. "xla:cuda", when built with -tags xla)
// selects that one instead. It never tries to download anything. A backend that cannot be created
// (a bad GOMLX_BACKEND) panics with the reason, since nothing can run without one; use
// NewBackend to get the error instead.
func Backend() backends.Backend {
	b, err := NewBackend()
	if err != nil {
		panic(err)
	}
	return b
}

// NewBackend is Backend returning the creation error instead of panicking.
func NewBackend() (backends.Backend, error) {
	singletonMu.Lock()
	defer singletonMu.Unlock()
	if singleton != nil || singleErr != nil {
		return singleton, singleErr
	}
	spec := os.Getenv(EnvBackend)
	name, config, _ := strings.Cut(spec, ":")
	switch name {
	case "", BackendName, simplego.BackendName:
		var e *Engine
		e, singleErr = New(config)
		if singleErr == nil {
			singleton = e
			engines = append(engines, e)
		}
	default:
		singleton, singleErr = backends.NewWithConfig(spec)
		if singleErr != nil {
			singleErr = fmt.Errorf("engine: %s=%q: %w", EnvBackend, spec, singleErr)
		}
	}
	return singleton, singleErr
}

// SetThreads sets how many cores the engine may use: its own kernels (which split every GEMM
// into single-threaded OpenBLAS calls) and simplego's worker pool. n <= 0 is taken as 1. The default is all cores (runtime.NumCPU). It applies
// process-wide, to graphs already compiled too.
func SetThreads(n int) {
	n = max(n, 1)
	threads.Store(int32(n))
	singletonMu.Lock()
	defer singletonMu.Unlock()
	for _, e := range engines {
		setSimplegoThreads(e.Backend, n)
	}
}

// Name implements backends.Backend.
func (e *Engine) Name() string { return "uboost engine (simplego + fast CNN ops)" }

// String implements backends.Backend: the registry name.
func (e *Engine) String() string { return BackendName }

// Description implements backends.Backend.
func (e *Engine) Description() string {
	loaded, lib := BLAS()
	gemm := "pure-Go GEMM"
	if loaded {
		gemm = "OpenBLAS (" + lib + ")"
	}
	return fmt.Sprintf("uboost CPU engine on GoMLX simplego, %d threads, %s", Threads(), gemm)
}

// Capabilities implements backends.Backend: simplego's, plus the ops the engine adds.
func (e *Engine) Capabilities() backends.Capabilities {
	c := e.Backend.Capabilities().Clone()
	for _, op := range []backends.OpType{backends.OpTypeReverse, backends.OpTypePad,
		backends.OpTypeSelectAndScatterMax, backends.OpTypeSelectAndScatterMin,
		backends.OpTypeBatchNormForTraining, backends.OpTypeBatchNormForInference,
		backends.OpTypeBatchNormGradient} {
		c.Operations[op] = true
	}
	return c
}

// Builder implements backends.Builder: simplego's builder with the engine's ops.
func (e *Engine) Builder(name string) backends.Builder {
	return &builder{Builder: e.Backend.Builder(name).(*simplego.Builder)}
}
