package engine

import (
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// threads is the number of cores the engine's kernels (and OpenBLAS) may use at once.
var threads atomic.Int32

func init() { threads.Store(int32(runtime.NumCPU())) }

// Threads returns the number of threads the engine's kernels use.
func Threads() int { return int(threads.Load()) }

// parallelFor splits [0, n) into at most Threads() contiguous ranges of at least minChunk items
// and runs body on each, in parallel, returning when all are done.
func parallelFor(n, minChunk int, body func(lo, hi int)) {
	parallelChunks(n, minChunk, Threads(), func(_, lo, hi int) { body(lo, hi) })
}

// parallelChunks is parallelFor that also passes each range's index (0, 1, ... in order) and
// returns the number of ranges (at most maxParts), so that partial results can be merged in a
// fixed order: the engine's reductions give the same bits whatever the goroutines' timing.
func parallelChunks(n, minChunk, maxParts int, body func(chunk, lo, hi int)) int {
	t := max(1, maxParts)
	if minChunk < 1 {
		minChunk = 1
	}
	parts := min(t, (n+minChunk-1)/minChunk)
	if parts <= 1 {
		if n > 0 {
			body(0, 0, n)
			return 1
		}
		return 0
	}
	var wg sync.WaitGroup
	step := (n + parts - 1) / parts
	chunks := (n + step - 1) / step
	// Chunks 1.. run on new goroutines and chunk 0 on the caller's, which would otherwise only wait.
	for chunk := 1; chunk < chunks; chunk++ {
		lo, hi := chunk*step, min((chunk+1)*step, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			body(chunk, lo, hi)
		}()
	}
	body(0, 0, min(step, n))
	wg.Wait()
	return chunks
}

// evenChunks cuts n items into chunks of at most about maxPer items (but not under minPer, when
// n allows) whose count is a multiple of t where possible, so that t threads taking contiguous
// runs of chunks get equal shares. It returns the number of chunks and the items per chunk (the
// last may have fewer).
func evenChunks(n, maxPer, minPer, t int) (chunks, per int) {
	if n <= 0 {
		return 0, 1
	}
	maxPer, t = max(maxPer, 1), max(t, 1)
	chunks = (n + maxPer - 1) / maxPer
	chunks = (chunks + t - 1) / t * t
	chunks = max(1, min(chunks, n/max(minPer, 1)))
	per = (n + chunks - 1) / chunks
	return (n + per - 1) / per, per
}

// Scratch float32 slices, pooled by power-of-two capacity so that the im2col and packing
// buffers of one training step are reused by the next instead of reallocated.
var scratchPools [48]sync.Pool

func getScratch(n int) []float32 {
	if n == 0 {
		return nil
	}
	c := bits.Len(uint(n - 1))
	if p, ok := scratchPools[c].Get().(*[]float32); ok {
		return (*p)[:n]
	}
	return make([]float32, n, 1<<c)
}

func putScratch(s []float32) {
	if cap(s) == 0 {
		return
	}
	c := bits.Len(uint(cap(s) - 1))
	if 1<<c != cap(s) {
		return
	}
	s = s[:cap(s)]
	scratchPools[c].Put(&s)
}
