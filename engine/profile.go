package engine

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
)

// OpTime is the time spent in one kind of op while profiling was on.
type OpTime struct {
	Op    string        // op type, with the engine's kernel choice for convolutions
	Calls int           // executions
	Time  time.Duration // wall time inside the executor
}

var (
	profileOnce sync.Once
	profileMu   sync.Mutex
	profileOn   atomic.Bool
	profileData = map[string]*OpTime{}
)

// ProfileOps turns per-op timing on or off for every graph executed by the engine from now on,
// for finding where a training step spends its time. Executors are wrapped the first time it
// is turned on (call it before executing graphs concurrently); when off, the wrappers cost one
// branch per op.
func ProfileOps(on bool) {
	profileOnce.Do(func() {
		for op := range sgNodeExecutors {
			if fn := sgNodeExecutors[op]; fn != nil {
				name := backends.OpType(op).String()
				sgNodeExecutors[op] = func(b *simplego.Backend, n *simplego.Node, in []*simplego.Buffer, owned []bool) (*simplego.Buffer, error) {
					if !profileOn.Load() {
						return fn(b, n, in, owned)
					}
					start := time.Now()
					out, err := fn(b, n, in, owned)
					recordOp(name, time.Since(start))
					return out, err
				}
			}
		}
		for op := range sgMultiExecutors {
			if fn := sgMultiExecutors[op]; fn != nil {
				name := backends.OpType(op).String()
				sgMultiExecutors[op] = func(b *simplego.Backend, n *simplego.Node, in []*simplego.Buffer, owned []bool) ([]*simplego.Buffer, error) {
					if !profileOn.Load() {
						return fn(b, n, in, owned)
					}
					start := time.Now()
					out, err := fn(b, n, in, owned)
					recordOp(name, time.Since(start))
					return out, err
				}
			}
		}
	})
	profileOn.Store(on)
}

func recordOp(name string, d time.Duration) {
	profileMu.Lock()
	defer profileMu.Unlock()
	t := profileData[name]
	if t == nil {
		t = &OpTime{Op: name}
		profileData[name] = t
	}
	t.Calls++
	t.Time += d
}

// OpProfile returns the per-op times gathered so far, longest first, and resets them.
func OpProfile() []OpTime {
	profileMu.Lock()
	defer profileMu.Unlock()
	out := make([]OpTime, 0, len(profileData))
	for _, t := range profileData {
		out = append(out, *t)
	}
	clear(profileData)
	slices.SortFunc(out, func(a, b OpTime) int { return int(b.Time - a.Time) })
	return out
}
