// Package runconfig decides whether a run directory may be resumed with a given configuration: the
// config.json stored when the run started and the configuration of the resuming invocation are
// compared field by field, generically (any JSON-encodable configuration, fields added later
// included), and every difference is named.
package runconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/uboost/uboost/internal/inputfile"
	"github.com/uboost/uboost/internal/jsonfile"
)

// Check compares the configuration stored at path with cfg. It returns nil when they agree on every
// field except those named in mayChange (dotted paths such as "train.log_every"; a path also covers
// everything below it), and otherwise one error naming the run directory and every differing field:
//
//	runs/x: --resume with a different configuration: search.lambda 1 → 99, search.accelerator.rows 128 → 32
//
// Fields that cfg's type marks json:"-" (threads, callbacks) never take part. A field absent from one
// side and zero-valued (0, "", false, null, empty) on the other counts as equal, so a run stored before
// a field with a zero default existed still resumes.
func Check(path string, cfg any, mayChange ...string) error {
	stored, err := inputfile.Read(path, inputfile.MaxBytes)
	if err != nil {
		return err
	}
	current, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	diffs, err := Diff(stored, current, mayChange...)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%s: --resume with a different configuration: %s", filepath.Dir(path), strings.Join(diffs, ", "))
	}
	return nil
}

// Diff returns the differences between two JSON documents as "path old → new", in field order, leaving
// out the paths in mayChange and what lies below them.
func Diff(stored, current []byte, mayChange ...string) ([]string, error) {
	a, err := decode(stored)
	if err != nil {
		return nil, fmt.Errorf("stored configuration: %w", err)
	}
	b, err := decode(current)
	if err != nil {
		return nil, fmt.Errorf("new configuration: %w", err)
	}
	var out []string
	walk("", a, b, func(path string, old, new any) {
		for _, m := range mayChange {
			if path == m || strings.HasPrefix(path, m+".") || strings.HasPrefix(path, m+"[") {
				return
			}
		}
		out = append(out, fmt.Sprintf("%s %s → %s", path, show(old), show(new)))
	})
	return out, nil
}

// absent marks a field missing on one side.
type absentT struct{}

var absent = absentT{}

func decode(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, jsonfile.Describe(raw, err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("trailing data after the JSON document")
	}
	return v, nil
}

// walk calls diff for every leaf (or subtree of differing shape) where a and b differ.
func walk(path string, a, b any, diff func(path string, old, new any)) {
	am, aObj := a.(map[string]any)
	bm, bObj := b.(map[string]any)
	if aObj && bObj {
		keys := make([]string, 0, len(am)+len(bm))
		for k := range am {
			keys = append(keys, k)
		}
		for k := range bm {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			av, ok := am[k]
			if !ok {
				av = absent
			}
			bv, ok := bm[k]
			if !ok {
				bv = absent
			}
			walk(join(path, k), av, bv, diff)
		}
		return
	}
	as, aArr := a.([]any)
	bs, bArr := b.([]any)
	if aArr && bArr && len(as) == len(bs) {
		for i := range as {
			walk(path+"["+strconv.Itoa(i)+"]", as[i], bs[i], diff)
		}
		return
	}
	if !equal(a, b) {
		diff(path, a, b)
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// equal compares two JSON leaves; numbers by value (1 and 1.0 agree), absent as the zero value.
func equal(a, b any) bool {
	if a == absent {
		return isZero(b)
	}
	if b == absent {
		return isZero(a)
	}
	an, aNum := a.(json.Number)
	bn, bNum := b.(json.Number)
	if aNum && bNum {
		if an == bn {
			return true
		}
		x, err1 := an.Float64()
		y, err2 := bn.Float64()
		return err1 == nil && err2 == nil && x == y
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func isZero(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case bool:
		return !v
	case string:
		return v == ""
	case json.Number:
		f, err := v.Float64()
		return err == nil && f == 0
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

// show writes a value as compact JSON (strings unquoted), "(none)" when absent.
func show(v any) string {
	if v == absent {
		return "(none)"
	}
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	raw, _ := json.Marshal(v)
	return string(raw)
}
