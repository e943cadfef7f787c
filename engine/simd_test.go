package engine

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/backends"
)

// TestVectorLoops checks the SIMD loops (when the CPU has them) against the Go loops for every
// length up to 70, which covers the 32-, 8- and 1-wide parts of the assembly.
func TestVectorLoops(t *testing.T) {
	t.Logf("AVX2+FMA in use: %v", useAVX2)
	for n := 0; n <= 70; n++ {
		a, b, c := randSlice(n+3), randSlice(n+5), randSlice(n+1)
		d1 := randSlice(n)
		d2 := append([]float32(nil), d1...)
		fmaVec(d1, a, b)
		fmaVecGo(d2, a, b)
		for i := range d1 {
			if math.Abs(float64(d1[i]-d2[i])) > 1e-6 {
				t.Fatalf("fmaVec n=%d i=%d: %g vs %g", n, i, d1[i], d2[i])
			}
		}
		rows := [4][]float32{randSlice(n), randSlice(n + 2), randSlice(n + 1), randSlice(n + 4)}
		ref := [4][]float32{}
		for r := range rows {
			ref[r] = append([]float32(nil), rows[r]...)
		}
		axpy4(rows[0], rows[1], rows[2], rows[3], a, 0.5, -1.5, 2, 0.25)
		axpy4Go(ref[0], ref[1], ref[2], ref[3], a, 0.5, -1.5, 2, 0.25)
		for r := range rows {
			for i := range n {
				if math.Abs(float64(rows[r][i]-ref[r][i])) > 1e-6 {
					t.Fatalf("axpy4 n=%d row %d i=%d: %g vs %g", n, r, i, rows[r][i], ref[r][i])
				}
			}
			for i := n; i < len(rows[r]); i++ {
				if rows[r][i] != ref[r][i] {
					t.Fatalf("axpy4 n=%d row %d wrote past len(c0) at %d", n, r, i)
				}
			}
		}
		mulAddVec(d1, a, b, c)
		mulAddVecGo(d2, a, b, c)
		for i := range d1 {
			if math.Abs(float64(d1[i]-d2[i])) > 1e-6 {
				t.Fatalf("mulAddVec n=%d i=%d: %g vs %g", n, i, d1[i], d2[i])
			}
		}
	}
}

// TestBinaryLoops checks the element-wise Add, Sub and Mul loops (SIMD when the CPU has it) bit
// for bit against one Go operation per element, for every length up to 70, in place (o aliasing
// the first operand, as when an op reuses its input) and without writing past len(o).
func TestBinaryLoops(t *testing.T) {
	ops := []struct {
		op backends.OpType
		fn func(a, b float32) float32
	}{
		{backends.OpTypeAdd, func(a, b float32) float32 { return a + b }},
		{backends.OpTypeSub, func(a, b float32) float32 { return a - b }},
		{backends.OpTypeMul, func(a, b float32) float32 { return a * b }},
	}
	for _, c := range ops {
		for n := 0; n <= 70; n++ {
			l, r := randSlice(n+3), randSlice(n+5)
			for i := range r {
				r[i] = r[i]*3 + float32(i%7) // not l's values shifted
			}
			o := make([]float32, n+1)
			o[n] = 42
			applyVV(c.op, c.fn, o[:n], l, r)
			for i := range n {
				if want := c.fn(l[i], r[i]); math.Float32bits(o[i]) != math.Float32bits(want) {
					t.Fatalf("%s VV n=%d i=%d: %g, want %g", c.op, n, i, o[i], want)
				}
			}
			for _, swapped := range []bool{false, true} {
				applyVS(c.op, c.fn, o[:n], l, 0.37, swapped)
				for i := range n {
					want := c.fn(l[i], 0.37)
					if swapped {
						want = c.fn(0.37, l[i])
					}
					if math.Float32bits(o[i]) != math.Float32bits(want) {
						t.Fatalf("%s VS swapped=%v n=%d i=%d: %g, want %g", c.op, swapped, n, i, o[i], want)
					}
				}
			}
			if o[n] != 42 {
				t.Fatalf("%s n=%d: wrote past len(o)", c.op, n)
			}
			in := append([]float32(nil), l[:n]...)
			applyVV(c.op, c.fn, in, in, r)
			for i := range n {
				if want := c.fn(l[i], r[i]); math.Float32bits(in[i]) != math.Float32bits(want) {
					t.Fatalf("%s VV in place n=%d i=%d: %g, want %g", c.op, n, i, in[i], want)
				}
			}
		}
	}
}

// TestMomentsLoops checks batch norm's channel sums (AVX-512 blocks of 32 channels, or AVX2 for the
// leading multiple of 8, when the CPU has them) against float64 sums in row order, for channel
// counts around 8, 16 and 32 and past one block, and odd and even row counts (the SIMD loops take
// rows in pairs).
func TestMomentsLoops(t *testing.T) {
	for _, c := range []int{3, 8, 11, 16, 21, 32, 33, 40, 72} {
		for _, rows := range []int{1, 2, 7, 64} {
			x, g, mean := randSlice(rows*c), randSlice(rows*c + 1)[1:], randSlice(c + 2)[:c]
			for _, grad := range []bool{false, true} {
				gg := g
				if !grad {
					gg = nil
				}
				s1, s2 := channelMoments(x, gg, mean, rows, c, 1)
				for ch := range c {
					var w1, w2 float64
					for r := range rows {
						v := x[r*c+ch]
						if grad {
							w1 += float64(g[r*c+ch])
							w2 += float64(g[r*c+ch]) * float64(v-mean[ch])
						} else {
							w1 += float64(v)
							w2 += float64(v) * float64(v)
						}
					}
					if math.Abs(s1[ch]-w1) > 1e-12 || math.Abs(s2[ch]-w2) > 1e-12 {
						t.Fatalf("c=%d rows=%d grad=%v ch=%d: (%g, %g), want (%g, %g)", c, rows, grad, ch, s1[ch], s2[ch], w1, w2)
					}
				}
			}
		}
	}
}

// TestReluLoops checks the ReLU loops (SIMD when the CPU has it) bit for bit against Go: max(v, s)
// with NaN, −0 and +0 among the values and as s, and x ≥ s ? t : f with NaN among the x.
func TestReluLoops(t *testing.T) {
	nan := float32(math.NaN())
	negZero := float32(math.Copysign(0, -1))
	for n := 0; n <= 40; n++ {
		v := randSlice(n + 2)
		for i := 0; i < n; i += 5 {
			v[i] = []float32{nan, negZero, 0, 1}[i/5%4]
		}
		tv := randSlice(n + 3)[3:]
		for _, s := range []float32{0, 0.25, -0.25, negZero, nan} {
			o := make([]float32, n+1)
			o[n] = 42
			applyVS(backends.OpTypeMax, nil, o[:n], v, s, false)
			for i := range n {
				if want := max(v[i], s); math.Float32bits(o[i]) != math.Float32bits(want) {
					t.Fatalf("max n=%d s=%g i=%d: %g (%#x), want %g (%#x)", n, s, i, o[i], math.Float32bits(o[i]), want, math.Float32bits(want))
				}
			}
			k := selectGESIMD(o[:n], v, tv, s, -3)
			for i := k; i < n; i++ {
				o[i] = -3
				if v[i] >= s {
					o[i] = tv[i]
				}
			}
			for i := range n {
				want := float32(-3)
				if v[i] >= s {
					want = tv[i]
				}
				if math.Float32bits(o[i]) != math.Float32bits(want) {
					t.Fatalf("select n=%d s=%g i=%d: %g, want %g", n, s, i, o[i], want)
				}
			}
			if o[n] != 42 {
				t.Fatalf("n=%d: wrote past len(o)", n)
			}
		}
	}
}

// TestAffineRowsSameBits checks batch norm's affine pass over many rows at once (AVX-512) bit for
// bit against the row-at-a-time loops it replaces, forward (x·m + a) and gradient ((g·m + b) + x·a),
// for channel counts below, at and past one 32-channel block.
func TestAffineRowsSameBits(t *testing.T) {
	for _, c := range []int{3, 16, 32, 40, 72} {
		rows := 9
		x, g := randSlice(rows*c), randSlice(rows*c + 5)[5:]
		m, a, b := randSlice(c + 1)[1:], randSlice(c + 2)[2:], randSlice(c + 3)[3:]
		for _, grad := range []bool{false, true} {
			gg, sub := g, b
			if !grad {
				gg, sub = nil, nil
			}
			got := make([]float32, rows*c)
			if !affineRowsSIMD(got, x, gg, m, a, sub, 0, rows, c) {
				t.Skip("no AVX-512")
			}
			want := make([]float32, rows*c)
			for r := range rows {
				dst, row := want[r*c:(r+1)*c], x[r*c:(r+1)*c]
				if grad {
					mulAddVec(dst, g[r*c:(r+1)*c], m, b)
					fmaVec(dst, row, a)
				} else {
					mulAddVec(dst, row, m, a)
				}
			}
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("c=%d grad=%v element %d: %v, want %v", c, grad, i, got[i], want[i])
				}
			}
		}
	}
}
