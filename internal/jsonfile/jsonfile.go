// Package jsonfile reads and writes the small JSON files of run directories (configs, results, stage
// state). Writes go through internal/atomicfile (unique temporary file, fsync, rename), so a reader —
// or a run resumed after a crash — never sees half a file; reads are bounded by inputfile.MaxBytes.
package jsonfile

import (
	"encoding/json"
	"fmt"

	"github.com/uboost/uboost/internal/atomicfile"
	"github.com/uboost/uboost/internal/inputfile"
)

// Write stores v as indented JSON at path, atomically.
func Write(path string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.WriteBytes(path, append(raw, '\n'))
}

// Read decodes the JSON file at path into v; a decoding error names the file. A file larger than
// inputfile.MaxBytes is refused unread.
func Read(path string, v any) error {
	raw, err := inputfile.Read(path, inputfile.MaxBytes)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
