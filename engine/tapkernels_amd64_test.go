package engine

import "testing"

// forEachTapKernel runs f once per tap-convolution kernel set this CPU can run — AVX-512 and AVX2 on
// a CPU with AVX-512, AVX2 alone on one without — restoring the selection afterwards. Plans must be
// made inside f: which convolutions take the tap path depends on the set.
func forEachTapKernel(t *testing.T, f func(t *testing.T)) {
	if !useAVX2 {
		t.Skip("no AVX2: convolutions take the im2col path")
	}
	saved := avx512
	defer setTapKernels(saved)
	sets := []bool{false}
	if saved {
		sets = []bool{true, false}
	}
	for _, on := range sets {
		setTapKernels(on)
		name := "avx2"
		if on {
			name = "avx512"
		}
		t.Run(name, f)
	}
}

// TestPadColumns: with the AVX2 kernels, 2 rows of 20 columns become 2 rows of 32, the 12 extra
// zero; with AVX-512 (masked loads) b is returned as it is.
func TestPadColumns(t *testing.T) {
	saved := avx512
	defer setTapKernels(saved)
	b := randSlice(40)
	setTapKernels(false)
	p, ld := padColumns(b, 2, 20)
	if ld != 32 || len(p) != 64 {
		t.Fatalf("AVX2: stride %d, %d floats; want 32, 64", ld, len(p))
	}
	for r := range 2 {
		for c := range 32 {
			want := float32(0)
			if c < 20 {
				want = b[r*20+c]
			}
			if p[r*32+c] != want {
				t.Fatalf("AVX2: [%d, %d] = %v, want %v", r, c, p[r*32+c], want)
			}
		}
	}
	setTapKernels(true)
	if q, ld := padColumns(b, 2, 20); ld != 20 || &q[0] != &b[0] {
		t.Errorf("AVX-512: got a copy with stride %d, want b itself", ld)
	}
}
