package arch

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/uboost/uboost/accel"
)

func intp(v int) *int { return &v }

// smallNet is a hand-built network using every op and attribute: 8×8×3 input, 4 classes.
func smallNet() *Network {
	return &Network{
		Format: Format, Name: "small", Input: Shape{H: 8, W: 8, C: 3}, Classes: 4,
		Nodes: []Node{
			{Name: "stem", Op: OpConv, Inputs: []string{InputName}, Kernel: 3, Channels: 8, BN: true, Act: ActReLU},
			{Name: "dw", Op: OpDepthwise, Inputs: []string{"stem"}, Kernel: 3, Stride: 2, Padding: intp(1), BN: true, Act: ActReLU6, Cell: "c0", Edge: "0-1"},
			{Name: "pw", Op: OpConv, Inputs: []string{"dw"}, Kernel: 1, Channels: 8, BN: true, Cell: "c0", Edge: "0-1"},
			{Name: "pool", Op: OpMaxPool, Inputs: []string{"stem"}, Kernel: 2, Stride: 2},
			{Name: "sum", Op: OpAdd, Inputs: []string{"pw", "pool"}, Act: ActReLU},
			{Name: "dil", Op: OpConv, Inputs: []string{"sum"}, Kernel: 3, Dilation: 2, Channels: 8, Act: ActSwish},
			{Name: "skip", Op: OpIdentity, Inputs: []string{"sum"}},
			{Name: "none", Op: OpZero, Inputs: []string{"sum"}},
			{Name: "gap", Op: OpAvgPool, Inputs: []string{"dil"}, Global: true},
			{Name: "gate", Op: OpDense, Inputs: []string{"gap"}, Channels: 8, Act: ActSigmoid},
			{Name: "scale", Op: OpMul, Inputs: []string{"skip", "gate"}},
			{Name: "avg", Op: OpAvgPool, Inputs: []string{"scale"}, Kernel: 4, Stride: 4, Padding: intp(0)},
			{Name: "fc", Op: OpDense, Inputs: []string{"avg"}, Channels: 4},
		},
		Search: map[string]any{"method": "uboost", "lambda": 0.5, "seed": 7.0},
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	n := smallNet()
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "arch.json")
	if err := n.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, n) {
		t.Errorf("Load(Save(n)) differs:\n got %+v\nwant %+v", got, n)
	}
	// Parse of the saved bytes agrees with Load, and saving again gives the same bytes.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	path2 := filepath.Join(t.TempDir(), "again.json")
	if err := again.Save(path2); err != nil {
		t.Fatal(err)
	}
	data2, err := os.ReadFile(path2)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != string(data2) {
		t.Errorf("second save differs:\n%s\n---\n%s", data, data2)
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.json")
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Load(missing) = %v, want an error naming %s", err, path)
	}
}

// mutate returns the JSON of smallNet after f changed its generic form, so each case can break one
// thing the way a hand edit would.
func mutate(t *testing.T, f func(doc map[string]any, nodes []any)) []byte {
	t.Helper()
	data, err := json.Marshal(smallNet())
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	f(doc, doc["nodes"].([]any))
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func node(nodes []any, i int) map[string]any { return nodes[i].(map[string]any) }

func TestParseErrors(t *testing.T) {
	full, err := json.MarshalIndent(smallNet(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", []byte("{\n  \"format\": \"uboost-arch/v1\",\n  \"name\": \"x\",\n"), "line 3: truncated JSON"},
		{"truncated saved network", full[:len(full)/2], "truncated JSON"},
		{"empty", nil, "line 1: truncated JSON"},
		{"malformed", []byte("{\n\"format\": \"uboost-arch/v1\",,\n}"), `line 2: malformed JSON: invalid character ',' looking for beginning of object key string`},
		{"wrong version", mutate(t, func(d map[string]any, _ []any) { d["format"] = "uboost-arch/v0" }),
			`field "format": unsupported version "uboost-arch/v0"; want "uboost-arch/v1"`},
		{"missing version", mutate(t, func(d map[string]any, _ []any) { delete(d, "format") }),
			`field "format": missing; want "uboost-arch/v1"`},
		{"unknown field", mutate(t, func(_ map[string]any, n []any) { node(n, 0)["chanels"] = 8.0 }),
			`field "chanels": unknown field`},
		{"wrong type", mutate(t, func(_ map[string]any, n []any) { node(n, 0)["kernel"] = "3" }),
			`field "nodes.kernel": want an integer (int), got a JSON string`},
		{"unknown op", mutate(t, func(_ map[string]any, n []any) { node(n, 3)["op"] = "minpool" }),
			`nodes[3] ("pool"): field "op": unknown op "minpool" (want one of conv, depthwise, dense, maxpool, avgpool, add, mul, identity, zero, concat, pad)`},
		// Issue 16, finding 7: an unknown op that also sets bn was reported as a "bn" error.
		{"unknown op with bn", mutate(t, func(_ map[string]any, n []any) { node(n, 3)["op"] = "minpool"; node(n, 3)["bn"] = true }),
			`nodes[3] ("pool"): field "op": unknown op "minpool" (want one of conv, depthwise, dense, maxpool, avgpool, add, mul, identity, zero, concat, pad)`},
		{"missing op", mutate(t, func(_ map[string]any, n []any) { delete(node(n, 3), "op") }),
			`nodes[3] ("pool"): field "op": missing`},
		{"unknown input", mutate(t, func(_ map[string]any, n []any) { node(n, 2)["inputs"] = []any{"dw2"} }),
			`nodes[2] ("pw"): field "inputs": unknown or later node "dw2"`},
		{"later input", mutate(t, func(_ map[string]any, n []any) { node(n, 2)["inputs"] = []any{"sum"} }),
			`nodes[2] ("pw"): field "inputs": unknown or later node "sum"`},
		{"duplicate name", mutate(t, func(_ map[string]any, n []any) { node(n, 3)["name"] = "dw" }),
			`nodes[3] ("dw"): field "name": duplicate name`},
		{"input as a name", mutate(t, func(_ map[string]any, n []any) { node(n, 0)["name"] = "input" }),
			`nodes[0] ("input"): field "name": duplicate name`},
		{"negative channels", mutate(t, func(_ map[string]any, n []any) { node(n, 0)["channels"] = -8.0 }),
			`nodes[0] ("stem"): field "channels": want a positive integer, got -8`},
		{"negative padding", mutate(t, func(_ map[string]any, n []any) { node(n, 1)["padding"] = -1.0 }),
			`nodes[1] ("dw"): field "padding": want an integer in 0..16384, got -1`},
		// 8×8 input, no padding: a 9×9 window cannot fit.
		{"kernel larger than input", mutate(t, func(_ map[string]any, n []any) { node(n, 0)["kernel"] = 9.0; node(n, 0)["padding"] = 0.0 }),
			`nodes[0] ("stem"): field "kernel": window 9 (kernel 9, dilation 1) larger than padded input 8×8×3`},
		{"unknown activation", mutate(t, func(_ map[string]any, n []any) { node(n, 0)["act"] = "gelu" }),
			`nodes[0] ("stem"): field "act": unknown activation "gelu"`},
		{"bn on a pool", mutate(t, func(_ map[string]any, n []any) { node(n, 3)["bn"] = true }),
			`nodes[3] ("pool"): field "bn": only conv, depthwise, dense and identity nodes take bn`},
		{"act on a pool", mutate(t, func(_ map[string]any, n []any) { node(n, 3)["act"] = "relu" }),
			`nodes[3] ("pool"): field "act": only conv, depthwise, dense, identity and add nodes take act`},
		// pw is 4×4×8 (stride-2 depthwise), stem is 8×8×8.
		{"add shape mismatch", mutate(t, func(_ map[string]any, n []any) { node(n, 4)["inputs"] = []any{"pw", "stem"} }),
			`nodes[4] ("sum"): field "inputs": input "stem" is 8×8×8, want 4×4×8 like "pw"`},
		{"depthwise channels", mutate(t, func(_ map[string]any, n []any) { node(n, 1)["channels"] = 16.0 }),
			`nodes[1] ("dw"): field "channels": depthwise keeps its 8 input channels, got 16`},
		{"two inputs to a conv", mutate(t, func(_ map[string]any, n []any) { node(n, 5)["inputs"] = []any{"sum", "pw"} }),
			`nodes[5] ("dil"): field "inputs": want 1 input(s), got 2`},
		{"no input shape", mutate(t, func(d map[string]any, _ []any) { d["input"] = map[string]any{"h": 8.0, "w": 0.0, "c": 3.0} }),
			`field "input": want positive h, w, c, got 8×0×3`},
		{"no classes", mutate(t, func(d map[string]any, _ []any) { d["classes"] = 0.0 }),
			`field "classes": want a positive integer, got 0`},
		{"no nodes", mutate(t, func(d map[string]any, _ []any) { d["nodes"] = []any{} }),
			`field "nodes": the network has no nodes`},
		{"output not logits", mutate(t, func(d map[string]any, _ []any) { d["classes"] = 10.0 }),
			`field "classes": the last node "fc" outputs 1×1×4, want 1×1×10 logits`},
		{"output not 1×1", mutate(t, func(d map[string]any, n []any) { d["nodes"] = n[:6]; d["classes"] = 8.0 }),
			`field "classes": the last node "dil" outputs 4×4×8, want 1×1×8 logits`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.data)
			if err == nil {
				t.Fatalf("Parse: no error, want %q", c.want)
			}
			got := err.Error()
			if c.name == "truncated saved network" {
				// The line depends on where the cut falls; the rest of the message does not.
				if !strings.HasPrefix(got, "line ") || !strings.HasSuffix(got, c.want) {
					t.Errorf("got %q, want line N: %s", got, c.want)
				}
				return
			}
			if got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
			if strings.Contains(got, "\n") {
				t.Errorf("error spans lines: %q", got)
			}
		})
	}
}

func TestLoadErrorNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(path, mutate(t, func(d map[string]any, _ []any) { d["classes"] = -1.0 }), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	want := path + `: field "classes": want a positive integer, got -1`
	if err == nil || err.Error() != want {
		t.Errorf("Load = %v, want %s", err, want)
	}
}

// TestLayersTinyConvNet checks lowering exactly on a 9×9×2 input:
//
//	a: conv 3×3/2, 4 ch, same padding 1: padded 11×11; out floor((9+2−3)/2)+1 = 5; then bn, relu rows
//	b: conv 3×3, dilation 2, 6 ch, same padding d(k−1)/2 = 2: padded 9×9; out 5+4−4 = 5; swish row
//	c: conv 3×3, padding 0: 5×5 → 3×3, 6 ch
//	p: maxpool 3×3/2 (padding 1 by default): padded 5×5; out floor((3+2−3)/2)+1 = 2
//	g: global avgpool: kernel 2×2 over 2×2 → 1×1
//	f: dense 6 → 3
func TestLayersTinyConvNet(t *testing.T) {
	n := &Network{
		Format: Format, Name: "tiny", Input: Shape{H: 9, W: 9, C: 2}, Classes: 3,
		Nodes: []Node{
			{Name: "a", Op: OpConv, Inputs: []string{InputName}, Kernel: 3, Stride: 2, Channels: 4, BN: true, Act: ActReLU},
			{Name: "b", Op: OpConv, Inputs: []string{"a"}, Kernel: 3, Dilation: 2, Channels: 6, Act: ActSwish},
			{Name: "c", Op: OpConv, Inputs: []string{"b"}, Kernel: 3, Padding: intp(0), Channels: 6},
			{Name: "p", Op: OpMaxPool, Inputs: []string{"c"}, Kernel: 3, Stride: 2},
			{Name: "g", Op: OpAvgPool, Inputs: []string{"p"}, Global: true},
			{Name: "f", Op: OpDense, Inputs: []string{"g"}, Channels: 3},
		},
	}
	got, err := n.Layers()
	if err != nil {
		t.Fatal(err)
	}
	want := []accel.Layer{
		{Name: "a", Op: accel.Conv, InH: 11, InW: 11, InC: 2, OutH: 5, OutW: 5, OutC: 4, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1},
		{Name: "a/bn", Op: accel.BN, InH: 5, InW: 5, InC: 4, OutH: 5, OutW: 5, OutC: 4},
		{Name: "a/relu", Op: accel.ReLU, InH: 5, InW: 5, InC: 4, OutH: 5, OutW: 5, OutC: 4},
		{Name: "b", Op: accel.Conv, InH: 9, InW: 9, InC: 4, OutH: 5, OutW: 5, OutC: 6, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilationH: 2, DilationW: 2},
		{Name: "b/swish", Op: accel.Swish, InH: 5, InW: 5, InC: 6, OutH: 5, OutW: 5, OutC: 6},
		{Name: "c", Op: accel.Conv, InH: 5, InW: 5, InC: 6, OutH: 3, OutW: 3, OutC: 6, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1},
		{Name: "p", Op: accel.MaxPool, InH: 5, InW: 5, InC: 6, OutH: 2, OutW: 2, OutC: 6, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1},
		{Name: "g", Op: accel.AvgPool, InH: 2, InW: 2, InC: 6, OutH: 1, OutW: 1, OutC: 6, KH: 2, KW: 2, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1},
		{Name: "f", Op: accel.Dense, InH: 1, InW: 1, InC: 6, OutH: 1, OutW: 1, OutC: 3},
	}
	if !reflect.DeepEqual(got, want) {
		for i := range max(len(got), len(want)) {
			var g, w accel.Layer
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if g != w {
				t.Errorf("layer %d:\n got %+v\nwant %+v", i, g, w)
			}
		}
	}
	// MACs: a 5·5·(9·2)·4 = 1800; b 5·5·(9·4)·6 = 5400; c 3·3·(9·6)·6 = 2916; f 6·3 = 18.
	var macs int64
	for _, l := range got {
		macs += l.Lower(1).MACs()
	}
	if macs != 1800+5400+2916+18 {
		t.Errorf("MACs = %d, want %d", macs, 1800+5400+2916+18)
	}
	// Params: a 72 weights + 8 BN; b 216 + 6 bias; c 324 + 6 bias; f 18 + 3 bias = 653.
	p, err := n.Params()
	if err != nil {
		t.Fatal(err)
	}
	if p != 72+8+216+6+324+6+18+3 {
		t.Errorf("Params = %d, want %d", p, 72+8+216+6+324+6+18+3)
	}
}

// TestLayersFlattenDense: a dense layer on a 2×2×3 map reads the flattened 12 values.
func TestLayersFlattenDense(t *testing.T) {
	n := &Network{
		Format: Format, Name: "flat", Input: Shape{H: 2, W: 2, C: 3}, Classes: 5,
		Nodes: []Node{{Name: "fc", Op: OpDense, Inputs: []string{InputName}, Channels: 5}},
	}
	ls, err := n.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if g := ls[0].Lower(1); g != (accel.GEMM{M: 1, K: 12, N: 5, Count: 1}) {
		t.Errorf("dense GEMM = %v, want 1×12×5", g)
	}
	if p, _ := n.Params(); p != 12*5+5 {
		t.Errorf("Params = %d, want 65", p)
	}
}

func TestPrune(t *testing.T) {
	// input → a → b → fc, input → dead1 → dead2: the dead branch goes, the order stays.
	net := &Network{Format: Format, Name: "p", Input: Shape{H: 4, W: 4, C: 1}, Classes: 2, Nodes: []Node{
		{Name: "a", Op: OpConv, Inputs: []string{InputName}, Kernel: 3, Channels: 4},
		{Name: "dead1", Op: OpConv, Inputs: []string{InputName}, Kernel: 1, Channels: 4},
		{Name: "b", Op: OpAvgPool, Inputs: []string{"a"}, Global: true},
		{Name: "dead2", Op: OpIdentity, Inputs: []string{"dead1"}},
		{Name: "fc", Op: OpDense, Inputs: []string{"b"}, Channels: 2},
	}}
	if got := net.Prune(); got != 2 {
		t.Errorf("Prune removed %d nodes, want 2", got)
	}
	var names []string
	for _, nd := range net.Nodes {
		names = append(names, nd.Name)
	}
	if fmt.Sprint(names) != "[a b fc]" {
		t.Errorf("nodes after Prune = %v, want [a b fc]", names)
	}
	if err := net.Validate(); err != nil {
		t.Error(err)
	}
}
