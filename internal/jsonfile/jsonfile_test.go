package jsonfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRoundTripAndErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	type rec struct {
		A int     `json:"a"`
		B []int   `json:"b"`
		C float64 `json:"c"`
	}
	in := rec{A: 3, B: []int{1, 2}, C: 0.5}
	if err := Write(path, in); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if want := "{\n  \"a\": 3,\n  \"b\": [\n    1,\n    2\n  ],\n  \"c\": 0.5\n}\n"; string(raw) != want {
		t.Errorf("file = %q, want %q", raw, want)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary file left behind: %v", entries)
	}
	var out rec
	if err := Read(path, &out); err != nil || out.A != 3 || len(out.B) != 2 || out.C != 0.5 {
		t.Errorf("Read = %+v, %v", out, err)
	}
	if err := os.WriteFile(path, []byte(`{"a": 3,`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Read(path, &out); err == nil || !strings.HasPrefix(err.Error(), path+": ") {
		t.Errorf("truncated file: err = %v, want it to name %s", err, path)
	}
	if err := Read(filepath.Join(dir, "missing.json"), &out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
}
