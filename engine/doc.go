// Package engine is the one place uboost gets a GoMLX backend from: a CPU backend built on GoMLX
// v0.26.0's pure-Go simplego that can train CNNs, and fast enough to search with.
//
// # Use
//
//	backend := engine.Backend()           // process-wide, safe for concurrent use
//	engine.SetThreads(n)                  // cores to use; default all (runtime.NumCPU)
//	if msg := engine.BLASNotice(); msg != "" {
//		fmt.Fprintln(os.Stderr, msg)  // programs print this once; the library never prints
//	}
//
// Build graphs with the stock GoMLX API (graph, layers, batchnorm, train, optimizers) on that
// backend. Convolutions: graph.Convolve(x, kernel) with a kernel [kh, kw, cin/groups, cout];
// a depthwise convolution is graph.Convolve(x, k).ChannelGroupCount(C) with k [kh, kw, 1, C]
// (build the kernel variable yourself: layers.Convolution(...).ChannelGroupCount(C) creates a
// kernel of the wrong shape in v0.26.0). Batch norm: batchnorm.New(ctx, x, -1)...Done() (the
// backend's fused BatchNormForTraining/Gradient ops run). ReLU: graph.MaxScalar(x, 0) (or Max
// against ScalarZero), so that the forward max and the gradient's fused select take their
// vectorized scalar paths; activations.Relu's Max(x, ZerosLike(x)) gives the same values but
// materializes the zeros and runs the generic select, about 10× slower per element.
// Importing engine never tries to download XLA.
//
// # What it changes in simplego
//
//   - Ops simplego lacks: Reverse (every convolution gradient), Pad (Slice and average-pool
//     gradients), SelectAndScatterMax/Min (max-pool gradient), BatchNormForTraining,
//     BatchNormForInference, BatchNormGradient.
//   - Bugs: ConvGeneral with nil strides (GoMLX's own conv gradient builds it) and grouped
//     convolutions without explicit kernel dilations (a panic in a worker goroutine) — every
//     nil is filled with its neutral value.
//   - Gradients (graph expressions, GoMLX still differentiates): Dot and DotGeneral as one
//     DotGeneral each (the stock VJP materializes an outer product); ConvGeneral as one
//     ConvGeneral per gradient, with channel groups for the input gradient and batch groups for
//     the kernel gradient (the stock VJP splits a depthwise convolution into C convolutions);
//     Max/Min by one comparison and select.
//   - Fast float32 executors: ConvGeneral (on AVX-512 CPUs, stride-1 image convolutions, their
//     input and kernel gradients and their depthwise forms run as tap convolutions, micro-kernels
//     that read the padded image in place: tapconv.go; otherwise im2col into reused, cache-sized
//     buffers + sgemm, a direct depthwise kernel, kernel gradients as colᵀ·v sgemm or a direct
//     depthwise kernel; 1×1 as a plain sgemm), DotGeneral (sgemm, transposes folded into its flags), batch norm,
//     ReduceWindow (pooling), SelectAndScatter, and contiguous paths for Add/Sub/Mul/Div/Max/Min,
//     comparisons, Where, ReduceSum/ReduceMax and BroadcastInDim. Other dtypes and layouts go to
//     simplego's own executors.
//
// The hooks into simplego's unexported executor table (//go:linkname, and reflect offsets for a
// few Node and Backend fields) are checked at init against the pinned GoMLX version; a mismatch
// panics with the reason rather than corrupting memory.
//
// # GEMM
//
// OpenBLAS is loaded at run time with purego (dlopen, no cgo): nothing is needed to build, and
// a machine without it runs a pure-Go GEMM — BLASNotice says how to get the faster path.
// UBOOST_NOBLAS=1 keeps OpenBLAS off; UBOOST_OPENBLAS=/path/libopenblas.so picks a library.
// On AVX-512 CPUs OpenBLAS is asked for its AVX-512 kernels unless OPENBLAS_CORETYPE is set.
// UBOOST_NOSIMD=1 turns the engine's own AVX2 and AVX-512 loops off (the tap convolutions with
// them). Each GEMM is split into row (or column) blocks run on the engine's threads, each a
// single-threaded OpenBLAS call.
//
// # Other backends
//
// GOMLX_BACKEND=xla:cuda (or xla:/path/to/pjrt_plugin.so) selects GoMLX's XLA backend in a
// binary built with -tags xla (see xla.go and docs/ENGINE.md); "go" or "uboost" or unset select
// the engine.
//
// # Profiling
//
// ProfileOps(true) times every executed op by kind; OpProfile returns the totals. `uboost bench
// step --op-profile` prints them for the probe training step.
package engine
