// Package inputfile reads the small hand-written input files (arch.json, topology CSV, accelerator
// JSON) with a size limit, so that a wrong path such as /dev/zero or a multi-gigabyte file fails at
// once with a one-line error instead of reading until memory runs out.
package inputfile

import (
	"fmt"
	"io"
	"os"
)

// MaxBytes is the largest input description uboost reads: 16 MiB. The largest real description, a
// 500-layer arch.json, is well under 1 MiB; the limit leaves room for hand-written files with long
// comments while bounding memory at a size every machine has.
const MaxBytes = 16 << 20

// Read returns the contents of path, or an error naming path when it holds more than limit bytes.
// It reads at most limit+1 bytes, so an endless file (a device, a pipe) costs no more.
func Read(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than the %d-byte limit for input files", path, limit)
	}
	return data, nil
}
