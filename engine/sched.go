package engine

// The engine's own op scheduler: it runs the independent nodes of a compiled graph at the same
// time, on up to Threads() goroutines, with the same ownership rules as simplego's sequential
// executor. simplego's parallel mode (GoMLX v0.26.0) reads the use counts that decide whether an
// op may overwrite its input without the lock under which they are written (see hook.go); here
// every read and write of that bookkeeping happens under one mutex, so an op is handed an input
// as its own (free to overwrite) only after every other reader of it has returned.
//
// Results are the same bits as sequential execution: each op computes the same values whichever
// ops run beside it, and the kernels' own splits depend on Threads(), not on timing.

import (
	"container/heap"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
)

// EnvSequentialOps names the environment variable that, set to 1, turns the engine's concurrent
// op scheduler off: graphs then run one op after another (each large op still spread over the
// threads by its kernel).
const EnvSequentialOps = "UBOOST_SEQUENTIAL_OPS"

var (
	concurrentOps  atomic.Bool
	concurrentRuns atomic.Int64 // executions the scheduler ran (read by tests)
)

func init() { concurrentOps.Store(os.Getenv(EnvSequentialOps) != "1") }

// SetConcurrentOps turns the concurrent op scheduler on or off for every later execution (it is
// on unless UBOOST_SEQUENTIAL_OPS=1). Either way results are bit-identical; it exists to compare
// the two in one process.
func SetConcurrentOps(on bool) { concurrentOps.Store(on) }

// ConcurrentOps reports whether the concurrent op scheduler is on.
func ConcurrentOps() bool { return concurrentOps.Load() }

// Thresholds for running a graph concurrently, in the cost units of opCost (about one memory
// access or multiply-add each). A graph whose total cost is under minConcurrentCost finishes in
// well under a millisecond: waking goroutines would cost more than it saves. A graph whose total
// cost is under minConcurrentWidth times its longest dependency chain is close to a chain: there
// is too little independent work to overlap.
const (
	minConcurrentCost  = 1 << 20
	minConcurrentWidth = 1.2
)

// executable is simplego's compiled graph with the engine's scheduler in front of it.
type executable struct {
	*simplego.Executable
	backend *simplego.Backend
	plan    atomic.Pointer[schedPlan] // nil: the graph runs on simplego's sequential executor
}

// schedPlan is the dependency structure of a compiled graph, by simplego node index.
type schedPlan struct {
	nodes      []*simplego.Node // every node up to the last output
	inputs     [][]int32        // inputs of each node, with repeats
	numUses    []int32          // edges from used nodes, plus one per appearance as a graph output
	dependents [][]int32        // nodes reading each node, once per edge
	ready0     []int32          // nodes runnable at the start
	deps0      []int32          // inputs each node waits for (parameters and constants excluded)
	params     []*simplego.Node // parameter nodes, in Execute's input order
	outputs    []int32          // output nodes
	constants  []int32          // constant nodes in use
	toRun      int              // nodes to execute
	runs       sync.Pool        // *schedRun
}

// Compile implements backends.Builder: simplego's compiled graph, run by the engine's scheduler
// when the graph has enough independent work.
func (b *builder) Compile(outputs []backends.Op, shardings []*backends.ShardingSpec) (backends.Executable, error) {
	exe, err := b.Builder.Compile(outputs, shardings)
	if err != nil {
		return nil, err
	}
	e := &executable{Executable: exe.(*simplego.Executable), backend: builderBackend(b.Builder)}
	e.plan.Store(newSchedPlan(b.Builder))
	return e, nil
}

// newSchedPlan analyses a compiled graph; nil when it is too small or too close to a chain.
func newSchedPlan(b *simplego.Builder) *schedPlan {
	all, outs := builderNodes(b), builderOutputs(b)
	n := 0
	for _, o := range outs {
		n = max(n, nodeIndex(o)+1)
	}
	p := &schedPlan{nodes: all[:n], inputs: make([][]int32, n), numUses: make([]int32, n),
		dependents: make([][]int32, n), deps0: make([]int32, n)}
	for i, node := range p.nodes {
		for _, in := range nodeInputs(node) {
			p.inputs[i] = append(p.inputs[i], int32(nodeIndex(in)))
		}
	}
	// Uses, counted as simplego counts them: from the outputs down, each node's inputs once.
	var visit func(i int32)
	visit = func(i int32) {
		p.numUses[i]++
		if p.numUses[i] > 1 {
			return
		}
		for _, in := range p.inputs[i] {
			p.dependents[in] = append(p.dependents[in], i)
			visit(in)
		}
	}
	for _, o := range outs {
		visit(int32(nodeIndex(o)))
		p.outputs = append(p.outputs, int32(nodeIndex(o)))
	}
	isSelect := make([]bool, n)
	for _, node := range p.nodes {
		for _, o := range nodeMultiOutputs(node) {
			if j := nodeIndex(o); j < n {
				isSelect[j] = true
			}
		}
	}
	// Available at the start: parameters and constants. The outputs of a multi-output node (its
	// "select" nodes) become available when it has run.
	avail := make([]bool, n)
	p.params = builderInputs(b)
	for _, in := range p.params {
		if i := nodeIndex(in); i < n {
			avail[i] = true
		}
	}
	cost := make([]float64, n)
	finish := make([]float64, n) // longest chain of cost ending at each node
	var total, critical float64
	for i, node := range p.nodes {
		if p.numUses[i] == 0 || avail[i] || isSelect[i] {
			continue
		}
		if nodeOpType(node) == backends.OpTypeConstant {
			avail[i] = true
			p.constants = append(p.constants, int32(i))
			continue
		}
		p.toRun++
		start := 0.0
		for _, in := range p.inputs[i] {
			src := in
			if isSelect[in] {
				src = p.inputs[in][0]
			}
			if !avail[in] {
				p.deps0[i]++
				start = max(start, finish[src])
			}
		}
		if p.deps0[i] == 0 {
			p.ready0 = append(p.ready0, int32(i))
		}
		cost[i] = opCost(node)
		finish[i] = start + cost[i]
		total += cost[i]
		critical = max(critical, finish[i])
	}
	if total < minConcurrentCost || total < minConcurrentWidth*critical {
		return nil
	}
	return p
}

// opCost estimates an op's work: elements read and written, and multiply-adds for products.
func opCost(node *simplego.Node) float64 {
	out := float64(nodeShape(node).Size())
	c := out
	for _, in := range nodeInputs(node) {
		c += float64(nodeShape(in).Size())
	}
	switch d := nodeData(node).(type) {
	case *convParams:
		kout := d.kernelShape.Dimensions[d.axes.KernelOutputChannels]
		c += out * float64(d.kernelShape.Size()/max(kout, 1))
	case *dotParams:
		in := nodeInputs(node)[0]
		k := 1
		for _, a := range d.lhsContracting {
			k *= nodeShape(in).Dimensions[a]
		}
		c += out * float64(k)
	}
	return c
}

// Execute implements backends.Executable: the engine's scheduler when concurrent ops are on, the
// machine has more than one thread and the graph pays for it; simplego's sequential executor
// otherwise.
func (e *executable) Execute(inputs []backends.Buffer, donate []bool, device backends.DeviceNum) ([]backends.Buffer, error) {
	p := e.plan.Load()
	if p == nil || Threads() < 2 || !concurrentOps.Load() {
		return e.Executable.Execute(inputs, donate, device)
	}
	concurrentRuns.Add(1)
	return p.execute(e.backend, inputs, donate)
}

// Finalize implements backends.Executable: later executions go to simplego, which refuses them.
func (e *executable) Finalize() {
	e.plan.Store(nil)
	e.Executable.Finalize()
}

// schedRun is the state of one execution. Every field is guarded by mu.
type schedRun struct {
	mu        sync.Mutex
	wake      sync.Cond
	results   []*simplego.Buffer
	owned     []bool // results[i] belongs to this execution: it may be reused once no one reads it
	numUsed   []int32
	remaining []int32 // inputs each node still waits for
	ready     readyHeap
	left      int
	err       error
}

// readyHeap holds runnable nodes, lowest index first: the graph's own order, so that buffers
// live about as long as in sequential execution.
type readyHeap []int32

func (h readyHeap) Len() int           { return len(h) }
func (h readyHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h readyHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *readyHeap) Push(x any)        { *h = append(*h, x.(int32)) }
func (h *readyHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (p *schedPlan) execute(b *simplego.Backend, inputs []backends.Buffer, donate []bool) ([]backends.Buffer, error) {
	if len(inputs) != len(p.params) {
		return nil, fmt.Errorf("engine: Execute: expected %d inputs, got %d", len(p.params), len(inputs))
	}
	n := len(p.nodes)
	r, _ := p.runs.Get().(*schedRun)
	if r == nil {
		r = &schedRun{results: make([]*simplego.Buffer, n), owned: make([]bool, n),
			numUsed: make([]int32, n), remaining: make([]int32, n)}
		r.wake.L = &r.mu
	}
	clear(r.results)
	clear(r.owned)
	clear(r.numUsed)
	copy(r.remaining, p.deps0)
	r.ready = append(r.ready[:0], p.ready0...)
	heap.Init(&r.ready)
	r.left, r.err = p.toRun, nil
	for i, in := range inputs {
		buf, ok := in.(*simplego.Buffer)
		if !ok || buf == nil {
			return nil, fmt.Errorf("engine: Execute: input #%d is %T, not a buffer of this backend", i, in)
		}
		if !bufferValid(buf) {
			return nil, fmt.Errorf("engine: Execute: input #%d was already finalized or donated", i)
		}
		param := p.params[i]
		if want := nodeShape(param); !bufShape(b, buf).Equal(want) {
			return nil, fmt.Errorf("engine: Execute: input #%d has shape %s, want %s", i, bufShape(b, buf), want)
		}
		if j := nodeIndex(param); j < n { // else the graph does not read it
			r.results[j] = buf
			r.owned[j] = i < len(donate) && donate[i]
		}
	}
	for _, c := range p.constants {
		r.results[c] = nodeData(p.nodes[c]).(*simplego.Buffer)
	}

	var wg sync.WaitGroup
	for range min(Threads(), p.toRun) - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.work(b, r)
		}()
	}
	p.work(b, r)
	wg.Wait()

	var outs []backends.Buffer
	if r.err == nil {
		outs = make([]backends.Buffer, len(p.outputs))
		for k, o := range p.outputs {
			buf := r.results[o]
			r.results[o] = nil
			if !r.owned[o] {
				buf = sgCloneBuffer(b, buf)
			}
			outs[k] = buf
		}
	}
	for i, buf := range r.results {
		if buf != nil && r.owned[i] {
			sgPutBuffer(b, buf)
		}
		r.results[i] = nil
	}
	err := r.err
	r.err = nil
	p.runs.Put(r)
	return outs, err
}

// work runs ready nodes until the graph is done or an op failed.
func (p *schedPlan) work(b *simplego.Backend, r *schedRun) {
	var ins []*simplego.Buffer
	var owned []bool
	var done []int32
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		for r.ready.Len() == 0 && r.left > 0 && r.err == nil {
			r.wake.Wait()
		}
		if r.left == 0 || r.err != nil {
			return
		}
		i := heap.Pop(&r.ready).(int32)
		node := p.nodes[i]
		ins, owned = ins[:0], owned[:0]
		for _, in := range p.inputs[i] {
			ins = append(ins, r.results[in])
			// The node may overwrite an input only when it is its last reader: every other
			// reader has returned (numUsed counts finished readers).
			owned = append(owned, r.owned[in] && p.numUses[in]-r.numUsed[in] == 1)
		}
		r.mu.Unlock()
		out, multi, err := runNode(b, node, ins, owned)
		r.mu.Lock()
		if err != nil {
			if r.err == nil {
				r.err = fmt.Errorf("engine: executing %s (node #%d): %w", nodeOpType(node), i, err)
			}
			r.wake.Broadcast()
			return
		}
		for k, in := range p.inputs[i] {
			r.numUsed[in]++
			if ins[k] == nil { // taken over by the op as its output
				r.results[in] = nil
				continue
			}
			if r.numUsed[in] == p.numUses[in] && r.owned[in] {
				sgPutBuffer(b, ins[k])
				r.results[in] = nil
			}
		}
		done = append(done[:0], i)
		if len(nodeMultiOutputs(node)) > 0 {
			done = done[:0]
			for k, o := range nodeMultiOutputs(node) {
				j := nodeIndex(o)
				if j >= len(p.nodes) || p.numUses[j] == 0 {
					sgPutBuffer(b, multi[k])
					continue
				}
				r.results[j], r.owned[j] = multi[k], true
				done = append(done, int32(j))
			}
		} else {
			r.results[i], r.owned[i] = out, true
		}
		for _, d := range done {
			for _, dep := range p.dependents[d] {
				if r.remaining[dep]--; r.remaining[dep] == 0 {
					heap.Push(&r.ready, dep)
				}
			}
		}
		r.left--
		if r.left == 0 || r.ready.Len() > 0 {
			r.wake.Broadcast()
		}
	}
}

// runNode runs one node's executor. A panic (simplego's executors report some errors so) becomes
// the error: on a worker goroutine nothing above would recover it.
func runNode(b *simplego.Backend, node *simplego.Node, ins []*simplego.Buffer, owned []bool) (
	out *simplego.Buffer, multi []*simplego.Buffer, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	if len(nodeMultiOutputs(node)) > 0 {
		fn := sgMultiExecutors[nodeOpType(node)]
		if fn == nil {
			return nil, nil, fmt.Errorf("no executor for multi-output op %s", nodeOpType(node))
		}
		multi, err = fn(b, node, ins, owned)
		return nil, multi, err
	}
	fn := sgNodeExecutors[nodeOpType(node)]
	if fn == nil {
		return nil, nil, fmt.Errorf("no executor for op %s", nodeOpType(node))
	}
	out, err = fn(b, node, ins, owned)
	return out, nil, err
}
