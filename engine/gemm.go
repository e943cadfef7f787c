package engine

import (
	"os"
	"sync"

	"github.com/ebitengine/purego"
)

// BLAS: every float32 matrix product of the engine (convolutions after im2col, DotGeneral) goes
// through sgemm below. OpenBLAS is loaded at run time with purego (dlopen, no cgo), so building
// needs nothing and a machine without OpenBLAS still runs, on the pure-Go GEMM in gemm_go.go.

// Env variables read once, at the first use of the backend.
const (
	// EnvNoBLAS, when set to a non-empty value other than "0", keeps OpenBLAS unloaded: the
	// pure-Go GEMM runs. Tests use it to cover both paths.
	EnvNoBLAS = "UBOOST_NOBLAS"
	// EnvOpenBLAS names the OpenBLAS shared library to load instead of the usual sonames.
	EnvOpenBLAS = "UBOOST_OPENBLAS"
)

// openBLASNames are the sonames tried in order: Debian/Ubuntu's libopenblas0 first.
var openBLASNames = []string{"libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0", "libopenblas.dylib"}

// CBLAS enum values (cblas.h).
const (
	cblasRowMajor = 101
	cblasNoTrans  = 111
	cblasTrans    = 112
)

var (
	blasOnce   sync.Once
	blasLoaded bool
	blasLib    string
	blasErr    string

	cblasSgemm func(order, transA, transB, m, n, k int32, alpha float32, a *float32, lda int32,
		b *float32, ldb int32, beta float32, c *float32, ldc int32)
	openblasSetNumThreads func(n int32)
)

// loadBLAS tries to dlopen OpenBLAS once.
func loadBLAS() {
	blasOnce.Do(func() {
		if v := os.Getenv(EnvNoBLAS); v != "" && v != "0" {
			blasErr = EnvNoBLAS + " is set"
			return
		}
		names := openBLASNames
		if p := os.Getenv(EnvOpenBLAS); p != "" {
			names = []string{p}
		}
		// OpenBLAS 0.3.21 (Debian 12) runs its AVX2 "Haswell" kernels on AMD Zen 4/5, which have
		// AVX-512; its "SkylakeX" kernels ran the convolution GEMMs 1.7× faster here. It picks the
		// kernel set when loaded, from OPENBLAS_CORETYPE; a value the user set is left alone.
		if os.Getenv("OPENBLAS_CORETYPE") == "" && hasAVX512() {
			os.Setenv("OPENBLAS_CORETYPE", "SkylakeX")
			defer os.Unsetenv("OPENBLAS_CORETYPE")
		}
		for _, name := range names {
			h, err := purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_LOCAL)
			if err != nil {
				blasErr = err.Error()
				continue
			}
			if _, err := purego.Dlsym(h, "cblas_sgemm"); err != nil {
				blasErr = name + ": no cblas_sgemm"
				continue
			}
			purego.RegisterLibFunc(&cblasSgemm, h, "cblas_sgemm")
			if _, err := purego.Dlsym(h, "openblas_set_num_threads"); err == nil {
				purego.RegisterLibFunc(&openblasSetNumThreads, h, "openblas_set_num_threads")
			}
			blasLoaded, blasLib, blasErr = true, name, ""
			if _, err := purego.Dlsym(h, "openblas_get_corename"); err == nil {
				var corename func() string
				purego.RegisterLibFunc(&corename, h, "openblas_get_corename")
				blasLib += " (" + corename() + " kernels)"
			}
			if openblasSetNumThreads != nil {
				openblasSetNumThreads(1)
			}
			return
		}
	})
}

// BLAS reports whether the OpenBLAS sgemm is in use, and which library was loaded.
func BLAS() (loaded bool, library string) {
	loadBLAS()
	return blasLoaded, blasLib
}

// BLASNotice is the one line a program should print once when OpenBLAS is not in use, telling
// the user how to get the faster path; it is empty when OpenBLAS is loaded. The library never
// prints it itself.
func BLASNotice() string {
	loadBLAS()
	if blasLoaded {
		return ""
	}
	if v := os.Getenv(EnvNoBLAS); v != "" && v != "0" {
		return "uboost: " + EnvNoBLAS + " is set: using the pure-Go GEMM (slower); unset it to use OpenBLAS"
	}
	if tapGemmAvailable {
		// Convolutions run on the engine's own kernels here; only dense layers and a few gradients
		// are GEMMs, so the notice says what it costs: little.
		return "uboost: OpenBLAS not found, using the pure-Go GEMM for dense layers (convolutions do not need it); " +
			"install it (Debian/Ubuntu: apt-get install libopenblas0) or set " + EnvOpenBLAS + "=/path/to/libopenblas.so"
	}
	return "uboost: OpenBLAS not found, using the pure-Go GEMM (several times slower); " +
		"install it (Debian/Ubuntu: apt-get install libopenblas0) or set " + EnvOpenBLAS + "=/path/to/libopenblas.so"
}

// sgemm computes C = alpha·op(A)·op(B) + beta·C on row-major matrices, op(A) being M×K and op(B)
// K×N; transA/transB say that A is stored K×M / B is stored N×K. The work is split into blocks of
// rows (or of columns, for short wide products) run in parallel on the engine's threads, each
// block by a single-threaded sgemm: OpenBLAS when loaded, else the pure-Go kernel. OpenBLAS keeps
// one thread per call: its own threads spin while waiting for work, which on a busy machine cost
// more than they gave (measured: 140 ms vs 54 ms for the 3×3-convolution GEMM on 2 loaded cores).
func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int,
	beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	t := Threads()
	const minRows, minCols = 64, 64
	switch {
	case t > 1 && m >= 2*minRows:
		parallelFor(m, max(minRows, (m+t-1)/t), func(lo, hi int) {
			aOff := lo * lda
			if transA {
				aOff = lo
			}
			sgemmSerial(transA, transB, hi-lo, n, k, alpha, a[aOff:], lda, b, ldb, beta, c[lo*ldc:], ldc)
		})
	case t > 1 && n >= 2*minCols:
		parallelFor(n, max(minCols, (n+t-1)/t), func(lo, hi int) {
			bOff := lo
			if transB {
				bOff = lo * ldb
			}
			sgemmSerial(transA, transB, m, hi-lo, k, alpha, a, lda, b[bOff:], ldb, beta, c[lo:], ldc)
		})
	default:
		sgemmSerial(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}
}

// sgemmSerial is sgemm on the calling thread.
func sgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int,
	beta float32, c []float32, ldc int) {
	loadBLAS()
	if blasLoaded && k > 0 {
		ta, tb := int32(cblasNoTrans), int32(cblasNoTrans)
		if transA {
			ta = cblasTrans
		}
		if transB {
			tb = cblasTrans
		}
		cblasSgemm(cblasRowMajor, ta, tb, int32(m), int32(n), int32(k), alpha, &a[0], int32(lda),
			&b[0], int32(ldb), beta, &c[0], int32(ldc))
		return
	}
	gemmGo(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
