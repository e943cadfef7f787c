// Package jsonfile reads and writes the small JSON files of run directories (configs, results, stage
// state). Writes go through a temporary file and a rename, so a reader — or a run resumed after a
// crash — never sees half a file.
package jsonfile

import (
	"encoding/json"
	"fmt"
	"os"
)

// Write stores v as indented JSON at path, atomically.
func Write(path string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(raw, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Read decodes the JSON file at path into v; a decoding error names the file.
func Read(path string, v any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
