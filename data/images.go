package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
)

// Images is a set of fixed-size 8-bit images with their class labels, held in memory: record i is
// Pix[i·H·W·C : (i+1)·H·W·C] in height, width, channel order (HWC, the layout GoMLX's NHWC batches use),
// and its class is Labels[i].
type Images struct {
	H, W, C int
	Pix     []uint8
	Labels  []int32
}

// Len is the number of records.
func (m *Images) Len() int { return len(m.Labels) }

// RecordSize is the number of bytes of one image (H·W·C).
func (m *Images) RecordSize() int { return m.H * m.W * m.C }

// Record returns image i's pixels (HWC), sharing memory with m.
func (m *Images) Record(i int) []uint8 {
	n := m.RecordSize()
	return m.Pix[i*n : (i+1)*n]
}

// ErrBadInput is wrapped by every error about malformed dataset files, so callers can tell bad data from
// I/O failures with errors.Is.
var ErrBadInput = errors.New("bad dataset input")

// badInput is a malformed-input error; its text is only the problem, the caller adds file and record.
type badInput struct{ msg string }

func (e *badInput) Error() string        { return e.msg }
func (e *badInput) Is(target error) bool { return target == ErrBadInput }

// badf returns an error about malformed input that matches ErrBadInput.
func badf(format string, args ...any) error {
	return &badInput{msg: fmt.Sprintf(format, args...)}
}

// openMaybeGzip opens path and returns a reader of its contents, transparently gunzipping when the file
// starts with the gzip magic (so "x.gz" and its extracted "x" read the same, whatever the file is named).
func openMaybeGzip(path string) (io.Reader, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	br := bufio.NewReaderSize(f, 1<<16)
	head, _ := br.Peek(2)
	if bytes.Equal(head, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%s: %w", path, badf("gzip header: %v", err))
		}
		return zr, f.Close, nil
	}
	return br, f.Close, nil
}

// readAllLimited reads r up to limit bytes (one more, to detect excess), so a header claiming a huge
// payload cannot make us allocate more than the input really holds.
func readAllLimited(r io.Reader, limit int64) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r, limit+1))
}
