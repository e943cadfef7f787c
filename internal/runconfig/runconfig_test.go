package runconfig

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type accelT struct {
	Rows int `json:"rows"`
	Cols int `json:"cols"`
}

type searchT struct {
	Lambda float64  `json:"lambda"`
	Cost   string   `json:"cost"`
	Accel  accelT   `json:"accelerator"`
	Ops    []string `json:"ops"`
}

type cfgT struct {
	Search   searchT `json:"search"`
	Data     string  `json:"data"`
	LogEvery int     `json:"log_every"`
	Threads  int     `json:"-"`
}

// TestCheckNamesEveryField is finding 1: a resume with other λ, array and cost was accepted; now the
// error names every differing field with its old and new value, nested paths included.
func TestCheckNamesEveryField(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "x")
	os.MkdirAll(dir, 0o755)
	path := filepath.Join(dir, "config.json")
	stored := cfgT{Search: searchT{Lambda: 1, Cost: "systolic", Accel: accelT{128, 128}, Ops: []string{"a", "b"}}, Data: "builtin", LogEvery: 50}
	if err := os.WriteFile(path, mustJSON(t, stored), 0o644); err != nil {
		t.Fatal(err)
	}
	same := stored
	same.Threads, same.LogEvery = 7, 10 // json:"-" and an allowed field
	if err := Check(path, same, "log_every"); err != nil {
		t.Errorf("allowed changes refused: %v", err)
	}
	other := stored
	other.Search = searchT{Lambda: 99, Cost: "flops", Accel: accelT{32, 32}, Ops: []string{"a", "c"}}
	other.Data = "cifar10:/d"
	err := Check(path, other, "log_every")
	want := dir + `: --resume with a different configuration: data "builtin" → "cifar10:/d", search.accelerator.cols 128 → 32, ` +
		`search.accelerator.rows 128 → 32, search.cost "systolic" → "flops", search.lambda 1 → 99, search.ops[1] "b" → "c"`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant  %s", err, want)
	}
}

// TestDiffNewFields: a field added after the run was stored compares as absent, equal to a zero value
// and different from anything else; numbers compare by value.
func TestDiffNewFields(t *testing.T) {
	cases := []struct {
		name, a, b string
		want       string
	}{
		{"zero new field", `{"a":1}`, `{"a":1,"protocol":""}`, ""},
		{"set new field", `{"a":1}`, `{"a":1,"protocol":"paper"}`, `protocol (none) → "paper"`},
		{"dropped field", `{"a":1,"b":[1]}`, `{"a":1}`, `b [1] → (none)`},
		{"1 vs 1.0", `{"a":1}`, `{"a":1.0}`, ""},
		{"array length", `{"a":[1,2]}`, `{"a":[1]}`, `a [1,2] → [1]`},
		{"object vs null", `{"a":{"x":1}}`, `{"a":null}`, `a {"x":1} → null`},
	}
	for _, c := range cases {
		d, err := Diff([]byte(c.a), []byte(c.b))
		if err != nil || strings.Join(d, ", ") != c.want {
			t.Errorf("%s: Diff = %q, %v; want %q", c.name, d, err, c.want)
		}
	}
	if _, err := Diff([]byte(`{"a":1}{"a":2}`), []byte(`{}`)); err == nil {
		t.Error("trailing data in the stored file accepted")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestDiffBadStored: a stored config.json that is cut off or not JSON is a one-line error naming the
// line, and trailing data after it is refused.
func TestDiffBadStored(t *testing.T) {
	good := []byte(`{"lambda": 1}`)
	for stored, want := range map[string]string{
		"{\n  \"lambda\": 1,\n":     "stored configuration: line 2: truncated JSON",
		"{\n  \"lambda\": x\n}":     "stored configuration: line 2: malformed JSON: invalid character 'x' looking for beginning of value",
		`{"lambda": 1} {"beta": 2}`: "stored configuration: trailing data after the JSON document",
	} {
		if _, err := Diff([]byte(stored), good); err == nil || err.Error() != want {
			t.Errorf("Diff(%q): %v, want %q", stored, err, want)
		}
	}
}
