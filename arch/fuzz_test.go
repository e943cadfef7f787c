package arch

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse: any bytes give a network or a one-line error, never a panic; a network Parse accepts
// lowers to valid layers, counts its parameters, and survives Save's encoding unchanged.
func FuzzParse(f *testing.F) {
	examples, err := filepath.Glob("../examples/*.json")
	if err != nil || len(examples) == 0 {
		f.Fatalf("no example networks (%v)", err)
	}
	for _, path := range examples {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"format":"uboost-arch/v1","name":"n","input":{"h":8,"w":8,"c":3},"classes":2,"nodes":[` +
		`{"name":"c","op":"conv","channels":4,"kernel":3,"stride":2,"padding":1,"groups":2,"inputs":["input"]},` +
		`{"name":"p","op":"maxpool","global":true,"inputs":["c"]},{"name":"fc","op":"dense","channels":2,"inputs":["p"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Parse(data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error %q", err)
			}
			return
		}
		layers, err := n.Layers()
		if err != nil {
			t.Fatalf("a parsed network does not lower: %v", err)
		}
		for _, l := range layers {
			if err := l.Validate(); err != nil {
				t.Errorf("layer %+v: %v", l, err)
			}
		}
		if p, err := n.Params(); err != nil || p < 0 {
			t.Errorf("params %d, %v", p, err)
		}
		saved, err := json.MarshalIndent(n, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(saved)
		if err != nil {
			t.Fatalf("the saved network does not parse: %v\n%s", err, saved)
		}
		if !reflect.DeepEqual(n, again) {
			resaved, _ := json.MarshalIndent(again, "", "  ")
			if !bytes.Equal(saved, resaved) {
				t.Errorf("saving changed the network:\n%s\nthen\n%s", saved, resaved)
			}
		}
	})
}
