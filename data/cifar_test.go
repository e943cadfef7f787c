package data

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

// cifarRecord builds one CIFAR record: the label bytes, then planes where the red, green and blue value of
// pixel p (row-major) are byte(p+seed), byte(2p+seed), byte(3p+seed).
func cifarRecord(labels []byte, seed int) []byte {
	rec := append([]byte{}, labels...)
	for ch := 1; ch <= 3; ch++ {
		for p := range 1024 {
			rec = append(rec, byte(ch*p+seed))
		}
	}
	return rec
}

func TestReadCIFAR(t *testing.T) {
	cases := []struct {
		name   string
		v      CIFARLabels
		labels [][]byte
		want   []int32
	}{
		{"cifar10", CIFAR10, [][]byte{{3}, {9}}, []int32{3, 9}},
		// CIFAR-100 records carry (coarse, fine).
		{"cifar100 fine", CIFAR100Fine, [][]byte{{19, 99}, {0, 42}}, []int32{99, 42}},
		{"cifar100 coarse", CIFAR100Coarse, [][]byte{{19, 99}, {0, 42}}, []int32{19, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b []byte
			for i, l := range c.labels {
				b = append(b, cifarRecord(l, 10*i)...)
			}
			m, err := ReadCIFAR(bytes.NewReader(b), "batch.bin", c.v)
			if err != nil {
				t.Fatal(err)
			}
			if m.Len() != 2 || m.H != 32 || m.W != 32 || m.C != 3 {
				t.Fatalf("got %d records of %dx%dx%d", m.Len(), m.H, m.W, m.C)
			}
			for i, w := range c.want {
				if m.Labels[i] != w {
					t.Errorf("record %d label %d, want %d", i, m.Labels[i], w)
				}
			}
			// Pixel (y=1, x=2) of record 1 is p = 1·32+2 = 34, seed 10: R = 34+10 = 44, G = 68+10 = 78,
			// B = 102+10 = 112, at HWC offset 3·34 = 102.
			rec := m.Record(1)
			if got := rec[102:105]; !bytes.Equal(got, []byte{44, 78, 112}) {
				t.Errorf("pixel (1,2) = %v, want [44 78 112]", got)
			}
			// Last pixel of record 0, p = 1023: R = 1023 mod 256 = 255, G = 2046 mod 256 = 254, B = 3069 mod 256 = 253.
			if got := m.Record(0)[3069:3072]; !bytes.Equal(got, []byte{255, 254, 253}) {
				t.Errorf("pixel (31,31) = %v, want [255 254 253]", got)
			}
		})
	}
}

func TestReadCIFARBadInput(t *testing.T) {
	two := append(cifarRecord([]byte{1}, 0), cifarRecord([]byte{2}, 0)...)
	cases := []struct {
		name string
		v    CIFARLabels
		b    []byte
		want []string
	}{
		{"empty", CIFAR10, nil, []string{"empty file"}},
		{"truncated record", CIFAR10, two[:len(two)-1], []string{"record 1", "truncated", "3072 of 3073"}},
		{"label out of range", CIFAR10, append(slices.Clone(two), cifarRecord([]byte{10}, 0)...), []string{"record 2", "label 10 out of range [0,10)"}},
		{"fine out of range", CIFAR100Fine, cifarRecord([]byte{1, 100}, 0), []string{"record 0", "label 100 out of range [0,100)"}},
		{"coarse out of range", CIFAR100Fine, cifarRecord([]byte{20, 1}, 0), []string{"record 0", "coarse label 20"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadCIFAR(bytes.NewReader(c.b), "data_batch_1.bin", c.v)
			checkOneLine(t, err, append(c.want, "data_batch_1.bin")...)
			if !errors.Is(err, ErrBadInput) {
				t.Errorf("error %v is not ErrBadInput", err)
			}
		})
	}
}

func FuzzCIFAR(f *testing.F) {
	f.Add(cifarRecord([]byte{3}, 0), uint8(0))
	f.Add(cifarRecord([]byte{3, 50}, 7), uint8(1))
	f.Add(cifarRecord([]byte{3, 50}, 7)[:100], uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, variant uint8) {
		v := CIFARLabels(variant % 3)
		m, err := ReadCIFAR(bytes.NewReader(b), "fuzz.bin", v)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.bin") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q does not name the file on one line", err)
			}
			return
		}
		rs := v.labelBytes() + cifarPixels
		if len(b) != m.Len()*rs || len(m.Pix) != m.Len()*cifarPixels {
			t.Fatalf("%d bytes read as %d records with %d pixel bytes", len(b), m.Len(), len(m.Pix))
		}
		for i, l := range m.Labels {
			if l < 0 || int(l) >= v.Classes() {
				t.Fatalf("record %d: label %d escaped the range check", i, l)
			}
			// The first pixel's red value is the first plane byte.
			if m.Record(i)[0] != b[i*rs+v.labelBytes()] {
				t.Fatalf("record %d: red of pixel 0 misplaced", i)
			}
		}
	})
}
