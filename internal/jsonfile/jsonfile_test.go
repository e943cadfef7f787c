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

// TestReadErrors: every way a hand-edited file can be wrong reads as one line naming the file and the
// field, or the line of the fault.
func TestReadErrors(t *testing.T) {
	type inner struct {
		Rate float64 `json:"rate"`
	}
	type rec struct {
		Name  string  `json:"name"`
		Count int     `json:"count"`
		On    bool    `json:"on"`
		List  []int   `json:"list"`
		Inner inner   `json:"inner"`
		Ptr   *inner  `json:"ptr"`
		Scale float64 `json:"scale"`
	}
	path := filepath.Join(t.TempDir(), "r.json")
	for _, c := range []struct {
		doc, want string
		strict    bool
	}{
		{`{"count": "3"}`, `field "count": want an integer (int), got a JSON string`, false},
		{`{"count": 2.5}`, `field "count": want an integer (int), got a JSON number 2.5`, false},
		{`{"scale": 1e309}`, `field "scale": want a number (float64), got a JSON number 1e309`, false},
		{`{"name": 4}`, `field "name": want a string, got a JSON number`, false},
		{`{"on": "yes"}`, `field "on": want true or false, got a JSON string`, false},
		{`{"list": {}}`, `field "list": want an array, got a JSON object`, false},
		{`{"inner": []}`, `field "inner": want an object, got a JSON array`, false},
		{`{"inner": {"rate": "x"}}`, `field "inner.rate": want a number (float64), got a JSON string`, false},
		{"{\n  \"count\": 3,\n  \"name\": }", `line 3: malformed JSON: invalid character '}' looking for beginning of value`, false},
		{"{\n  \"count\": 3,\n  \"name\": \"x\"\n\n", `line 3: truncated JSON`, false},
		{"{\n  \"count\": 3,\n  \"name\": \"x\"\n\n", `line 3: truncated JSON`, true},
		{``, `line 1: truncated JSON`, false},
		{`{"cuont": 3}`, `field "cuont": unknown field`, true},
	} {
		if err := os.WriteFile(path, []byte(c.doc), 0o644); err != nil {
			t.Fatal(err)
		}
		read := Read
		if c.strict {
			read = ReadStrict
		}
		var v rec
		if err := read(path, &v); err == nil || err.Error() != path+": "+c.want {
			t.Errorf("%q (strict %v): got %v, want %q", c.doc, c.strict, err, path+": "+c.want)
		}
	}
	// Read ignores a field the type does not have; ReadStrict is for files a misspelling would break.
	if err := os.WriteFile(path, []byte(`{"cuont": 3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var v rec
	if err := Read(path, &v); err != nil {
		t.Errorf("Read with an extra field: %v", err)
	}
}
