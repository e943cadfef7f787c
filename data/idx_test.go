package data

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeFile writes b to dir/name, gzipped when zip is set, and returns the path.
func writeFile(t testing.TB, dir, name string, b []byte, zip bool) string {
	t.Helper()
	if zip {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		b = buf.Bytes()
	}
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// idxBytes encodes an IDX array with WriteIDX.
func idxBytes(t testing.TB, dims []int, data []uint8) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteIDX(&buf, dims, data); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkOneLine fails unless err is a single-line error mentioning every want.
func checkOneLine(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", want)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("error spans lines: %q", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not mention %q", msg, w)
		}
	}
}

func TestIDXHandEncoded(t *testing.T) {
	// Magic 00 00 08 02 (ubyte, 2 dims), dims 2 and 3 big-endian, then 6 bytes row-major.
	raw := []byte{0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6}
	if got := idxBytes(t, []int{2, 3}, []uint8{1, 2, 3, 4, 5, 6}); !bytes.Equal(got, raw) {
		t.Fatalf("WriteIDX = % x, want % x", got, raw)
	}
	dir := t.TempDir()
	for _, zip := range []bool{false, true} {
		// The gzipped file is named without .gz: content, not name, decides.
		path := writeFile(t, dir, "a-idx2-ubyte", raw, zip)
		m, err := ReadIDXFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.Dims, []int{2, 3}) || !slices.Equal(m.Data, []uint8{1, 2, 3, 4, 5, 6}) {
			t.Errorf("zip=%v: got dims %v data %v", zip, m.Dims, m.Data)
		}
	}
}

func TestIDXBadInput(t *testing.T) {
	good := idxBytes(t, []int{3, 2, 2}, []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	cases := []struct {
		name string
		b    []byte
		want []string
	}{
		{"wrong magic", append([]byte{1, 2}, good[2:]...), []string{"magic"}},
		{"float elements", append([]byte{0, 0, 0x0d}, good[3:]...), []string{"element type 0x0d"}},
		{"zero dims", []byte{0, 0, 8, 0}, []string{"zero dimensions"}},
		{"short header", good[:6], []string{"dimension 0: truncated header"}},
		// 3 records of 4 bytes; 9 data bytes hold records 0 and 1 whole, so record 2 is the short one.
		{"truncated record", good[:len(good)-3], []string{"record 2", "truncated", "9 of 12"}},
		{"trailing", append(slices.Clone(good), 99), []string{"trailing data"}},
		{"huge dims", []byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, []string{"more than"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadIDX(bytes.NewReader(c.b), "x-idx3-ubyte")
			checkOneLine(t, err, append(c.want, "x-idx3-ubyte")...)
			if !errors.Is(err, ErrBadInput) {
				t.Errorf("error %v is not ErrBadInput", err)
			}
		})
	}
}

func TestIDXLabelOutOfRange(t *testing.T) {
	images := &IDX{Dims: []int{3, 1, 1}, Data: []uint8{7, 8, 9}}
	labels := &IDX{Dims: []int{3}, Data: []uint8{0, 9, 10}}
	_, err := idxImages(images, labels, "img", "lab", 10)
	checkOneLine(t, err, "lab", "record 2", "label 10 out of range [0,10)")
	labels.Dims = []int{2}
	_, err = idxImages(images, labels, "img", "lab", 10)
	checkOneLine(t, err, "lab", "2 labels for the 3 images")
	_, err = idxImages(&IDX{Dims: []int{3, 0, 5}}, &IDX{Dims: []int{3}, Data: []uint8{1, 2, 3}}, "img", "lab", 10)
	checkOneLine(t, err, "img", "empty images")
}

func FuzzIDX(f *testing.F) {
	f.Add(idxBytes(f, []int{2, 3}, []uint8{1, 2, 3, 4, 5, 6}))
	f.Add(idxBytes(f, []int{1, 2, 2}, []uint8{1, 2, 3, 4}))
	f.Add([]byte{0, 0, 8, 1, 0, 0, 0, 5, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ReadIDX(bytes.NewReader(b), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q does not name the file on one line", err)
			}
			return
		}
		// Whatever reads must write back to the same bytes.
		if got := idxBytes(t, m.Dims, m.Data); !bytes.Equal(got, b) {
			t.Fatalf("round trip: % x, want % x", got, b)
		}
	})
}
