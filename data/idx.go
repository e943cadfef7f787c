package data

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
)

// IDX is one array in the IDX format of MNIST and Fashion-MNIST: a magic number (two zero bytes, the
// element type, the number of dimensions), the dimensions as big-endian uint32, then the elements in
// row-major order. Only unsigned-byte elements (type 0x08), the type every image and label file of those
// datasets uses, are supported.
type IDX struct {
	Dims []int
	Data []uint8
}

// idxUbyte is the IDX element-type code of unsigned bytes.
const idxUbyte = 0x08

// maxIDXBytes bounds the payload an IDX header may claim (4 GiB), far above any real dataset file.
const maxIDXBytes = 1 << 32

// ReadIDX reads one IDX array from r; name is the file name used in errors. A short payload is reported
// with the index of the first incomplete record (a record is one entry of the first dimension).
func ReadIDX(r io.Reader, name string) (*IDX, error) { return readIDX(r, name, -1) }

// readIDX is ReadIDX for input known to hold avail bytes (header included; -1: unknown): a header
// claiming more is refused before anything is allocated.
func readIDX(r io.Reader, name string, avail int64) (*IDX, error) {
	var magic [4]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return nil, fmt.Errorf("%s: %w", name, badf("magic: truncated header"))
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("%s: %w", name, badf("magic %#x: not an IDX file (want 0x0000TTNN)", binary.BigEndian.Uint32(magic[:])))
	}
	if magic[2] != idxUbyte {
		return nil, fmt.Errorf("%s: %w", name, badf("element type %#02x: only unsigned bytes (0x08) are supported", magic[2]))
	}
	nd := int(magic[3])
	if nd == 0 {
		return nil, fmt.Errorf("%s: %w", name, badf("magic: zero dimensions"))
	}
	dims := make([]int, nd)
	total := int64(1)
	for i := range dims {
		var d [4]byte
		if _, err := io.ReadFull(r, d[:]); err != nil {
			return nil, fmt.Errorf("%s: %w", name, badf("dimension %d: truncated header", i))
		}
		dims[i] = int(binary.BigEndian.Uint32(d[:]))
		if dims[i] > 0 && total > maxIDXBytes/int64(dims[i]) {
			return nil, fmt.Errorf("%s: %w", name, badf("dimensions %v: more than the %d elements supported", dims[:i+1], int64(maxIDXBytes)))
		}
		total *= int64(dims[i])
	}
	if header := 4 + 4*int64(nd); avail >= 0 && header+total > avail {
		return nil, fmt.Errorf("%s: %w", name, badf("dimensions %v declare %d data bytes, the file holds %d", dims, total, avail-header))
	}
	buf, err := readAllLimited(r, total)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if int64(len(buf)) < total {
		per := total / int64(max(dims[0], 1))
		rec := int64(len(buf)) / max(per, 1)
		return nil, fmt.Errorf("%s: record %d: %w", name, rec, badf("truncated: file holds %d of %d data bytes", len(buf), total))
	}
	if int64(len(buf)) > total {
		return nil, fmt.Errorf("%s: %w", name, badf("trailing data after %d bytes declared by dimensions %v", total, dims))
	}
	return &IDX{Dims: dims, Data: buf}, nil
}

// ReadIDXFile reads an IDX file, gzipped or raw (told apart by content, not by name).
func ReadIDXFile(path string) (*IDX, error) {
	r, closeFn, err := openMaybeGzip(path)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	return readIDX(r, path, idxSize(path))
}

// WriteIDX writes data as an unsigned-byte IDX array with the given dimensions. It is the inverse of
// ReadIDX, used by the built-in subset's generator and by tests.
func WriteIDX(w io.Writer, dims []int, data []uint8) error {
	if len(dims) == 0 || len(dims) > 255 {
		return fmt.Errorf("IDX: %d dimensions, want 1 to 255", len(dims))
	}
	total := 1
	for _, d := range dims {
		if d < 0 || d > math.MaxUint32 {
			return fmt.Errorf("IDX: dimension %d out of range", d)
		}
		total *= d
	}
	if total != len(data) {
		return fmt.Errorf("IDX: dimensions %v hold %d bytes, data has %d", dims, total, len(data))
	}
	bw := bufio.NewWriter(w)
	bw.Write([]byte{0, 0, idxUbyte, byte(len(dims))})
	for _, d := range dims {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], uint32(d))
		bw.Write(b[:])
	}
	bw.Write(data)
	return bw.Flush()
}

// idxImages joins an IDX image file (N×H×W, grayscale) and its IDX label file (N) into Images, checking
// that the counts agree and every label is below classes.
func idxImages(images, labels *IDX, imagesName, labelsName string, classes int) (*Images, error) {
	if len(images.Dims) != 3 {
		return nil, fmt.Errorf("%s: %w", imagesName, badf("dimensions %v: want 3 (count, rows, columns)", images.Dims))
	}
	if len(labels.Dims) != 1 {
		return nil, fmt.Errorf("%s: %w", labelsName, badf("dimensions %v: want 1 (count)", labels.Dims))
	}
	if images.Dims[0] != labels.Dims[0] {
		return nil, fmt.Errorf("%s: %w", labelsName, badf("%d labels for the %d images of %s", labels.Dims[0], images.Dims[0], imagesName))
	}
	if images.Dims[1] == 0 || images.Dims[2] == 0 {
		return nil, fmt.Errorf("%s: %w", imagesName, badf("dimensions %v: empty images", images.Dims))
	}
	m := &Images{H: images.Dims[1], W: images.Dims[2], C: 1, Pix: images.Data, Labels: make([]int32, labels.Dims[0])}
	for i, l := range labels.Data {
		if int(l) >= classes {
			return nil, fmt.Errorf("%s: record %d: %w", labelsName, i, badf("label %d out of range [0,%d)", l, classes))
		}
		m.Labels[i] = int32(l)
	}
	return m, nil
}

// idxSize returns the bytes an IDX file holds once unzipped: its size, or for a gzipped file the
// length its gzip trailer records (exact below 4 GiB, the largest payload ReadIDX accepts); -1 when
// unknown.
func idxSize(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return -1
	}
	var head [2]byte
	if _, err := io.ReadFull(f, head[:]); err != nil || head != [2]byte{0x1f, 0x8b} {
		return fi.Size()
	}
	var trailer [4]byte
	if fi.Size() < 18 {
		return -1
	}
	if _, err := f.ReadAt(trailer[:], fi.Size()-4); err != nil {
		return -1
	}
	return int64(binary.LittleEndian.Uint32(trailer[:]))
}
