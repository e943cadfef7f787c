package arch

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/internal/inputfile"
)

// SCALE-Sim topology CSV: one layer a row, in SCALE-Sim's column order
//
//	Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
//
// with an optional ninth column, the stride along the width (the eighth is then the stride along the
// height). The IFMAP sizes are already padded; there is no dilation. As in SCALE-Sim v2
// (topology_utils.py), a layer whose name contains "DP" (case-sensitive) is depthwise: SCALE-Sim splits
// it into Channels one-channel convolutions of Num Filter filters each, so Num Filter is a per-channel
// multiplier. accel.Layer's depthwise layer keeps its channels, so a DP row must have Num Filter 1.
// A fully connected layer is written as a 1×1 convolution on a 1×1 map, and read back as such.

// topologyColumns are the canonical column names, used when the file has no header row.
var topologyColumns = []string{
	"Layer name", "IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width",
	"Channels", "Num Filter", "Strides", "Stride Width",
}

// Column positions in a topology row.
const (
	colName = iota
	colInH
	colInW
	colKH
	colKW
	colChannels
	colFilters
	colStride
	colStrideW
	minTopologyColumns = colStride + 1
)

// ReadTopology reads a SCALE-Sim topology CSV file into layers. Errors name the file as given, the
// 1-based row and the column.
func ReadTopology(path string) ([]accel.Layer, error) {
	data, err := inputfile.Read(path, inputfile.MaxBytes)
	if err != nil {
		return nil, err
	}
	return ParseTopology(path, bytes.NewReader(data))
}

// ParseTopology reads a SCALE-Sim topology CSV from r; name is the file name used in errors
// (topology.csv:3: field "Channels": want a positive integer, got "abc"). Fields are trimmed and a
// trailing comma is allowed. A first row with no integer after its first field is the header, whose
// names then name the columns in errors. A field starting with '#' comments out the rest of its row (as
// in SCALE-Sim's own MobileNet topology). The ninth column is the width stride unless the header names
// the columns from the ninth on and none of them is a stride (SCALE-Sim's "Strides,, Target"); columns
// after the ninth are ignored. Each layer's output size is SCALE-Sim's ceil((H − Fh + S)/S).
func ParseTopology(name string, r io.Reader) ([]accel.Layer, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.LazyQuotes = true
	cr.Comment = '#'
	columns := topologyColumns
	strideW := true // whether a ninth column is the width stride
	var layers []accel.Layer
	for first := true; ; {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var perr *csv.ParseError
			if errors.As(err, &perr) {
				return nil, fmt.Errorf("%s:%d: malformed CSV: %v", name, perr.StartLine, perr.Err)
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		row, _ := cr.FieldPos(0)
		rec = cleanRecord(rec)
		if len(rec) == 0 {
			continue // a comment-only or blank row
		}
		header := first && isHeader(rec)
		first = false
		if header {
			columns = append([]string(nil), topologyColumns...)
			for i, h := range rec {
				if i < len(columns) && h != "" {
					columns[i] = h
				}
			}
			strideW = !annotationColumns(rec)
			continue
		}
		if !strideW && len(rec) > colStrideW {
			rec = rec[:colStrideW]
		}
		l, err := parseTopologyRow(rec, columns)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, row, err)
		}
		layers = append(layers, l)
	}
	if len(layers) == 0 {
		return nil, fmt.Errorf("%s: no layers: want rows of %s", name, strings.Join(topologyColumns[:minTopologyColumns], ", "))
	}
	return layers, nil
}

// cleanRecord trims every field, cuts the row at a field starting with '#', and drops trailing empty
// fields (the trailing comma SCALE-Sim writes).
func cleanRecord(rec []string) []string {
	out := make([]string, 0, len(rec))
	for _, f := range rec {
		f = strings.TrimSpace(f)
		if strings.HasPrefix(f, "#") {
			break
		}
		out = append(out, f)
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// annotationColumns says whether a header names the columns after the eighth as something other than a
// stride (SCALE-Sim's "Strides,, Target"): then those columns are notes, not the width stride.
func annotationColumns(header []string) bool {
	named := false
	for _, h := range header[min(colStrideW, len(header)):] {
		if strings.Contains(strings.ToLower(h), "stride") {
			return false
		}
		named = named || h != ""
	}
	return named
}

// isHeader says whether a row of several fields holds no integer after its name column: a header, not
// a layer.
func isHeader(rec []string) bool {
	if len(rec) < 2 {
		return false
	}
	for _, f := range rec[1:] {
		if _, err := strconv.Atoi(f); err == nil {
			return false
		}
	}
	return true
}

// parseTopologyRow turns one cleaned row into a layer; errors name the column.
func parseTopologyRow(rec []string, columns []string) (accel.Layer, error) {
	if len(rec) < minTopologyColumns {
		return accel.Layer{}, fmt.Errorf("field %q: missing (the row has %d of the %d columns)", columns[len(rec)], len(rec), minTopologyColumns)
	}
	if rec[colName] == "" {
		return accel.Layer{}, fmt.Errorf("field %q: missing", columns[colName])
	}
	var v [colStrideW + 1]int
	for c := colInH; c <= colStrideW; c++ {
		if c == colStrideW && (len(rec) <= colStrideW || rec[colStrideW] == "") {
			v[c] = v[colStride] // no width stride: the same as along the height
			continue
		}
		n, err := strconv.Atoi(rec[c])
		if err != nil || n <= 0 {
			return accel.Layer{}, fmt.Errorf("field %q: want a positive integer, got %q", columns[c], rec[c])
		}
		// The limits of docs/LIMITS.md, checked where the value enters.
		limit := accel.MaxFeatureDim
		if c == colChannels || c == colFilters {
			limit = accel.MaxChannels
		}
		if n > limit {
			return accel.Layer{}, fmt.Errorf("field %q: want at most %d, got %d", columns[c], limit, n)
		}
		v[c] = n
	}
	if v[colKH] > v[colInH] {
		return accel.Layer{}, fmt.Errorf("field %q: filter height %d larger than the IFMAP height %d", columns[colKH], v[colKH], v[colInH])
	}
	if v[colKW] > v[colInW] {
		return accel.Layer{}, fmt.Errorf("field %q: filter width %d larger than the IFMAP width %d", columns[colKW], v[colKW], v[colInW])
	}
	l := accel.Layer{
		Name: rec[colName], Op: accel.Conv,
		InH: v[colInH], InW: v[colInW], InC: v[colChannels],
		OutH: scaleSimOut(v[colInH], v[colKH], v[colStride]), OutW: scaleSimOut(v[colInW], v[colKW], v[colStrideW]),
		OutC: v[colFilters],
		KH:   v[colKH], KW: v[colKW],
		StrideH: v[colStride], StrideW: v[colStrideW],
		DilationH: 1, DilationW: 1,
	}
	if strings.Contains(l.Name, "DP") {
		if v[colFilters] != 1 {
			return accel.Layer{}, fmt.Errorf("field %q: a DP (depthwise) layer has one filter per channel (SCALE-Sim reads Num Filter as a per-channel multiplier); want 1, got %d", columns[colFilters], v[colFilters])
		}
		l.Op, l.OutC = accel.Depthwise, l.InC
	}
	return l, nil
}

// scaleSimOut is SCALE-Sim's output length, ceil((n − k + s)/s), for a filter k that fits in n. It
// counts a last window that hangs over the input's end, so it is one more than PyTorch's
// floor((n − k)/s) + 1 when s does not divide n − k.
func scaleSimOut(n, k, s int) int {
	out := (n-k)/s + 1
	if (n-k)%s != 0 {
		out++
	}
	return out
}

// readExtent is the input length that out windows of k at stride s read: (out − 1)·s + k. Written as the
// IFMAP size, SCALE-Sim's ceil gives back exactly out windows.
func readExtent(out, k, s int) int { return (out-1)*s + k }

// WriteTopology writes the GEMM layers (conv, depthwise, dense) as a SCALE-Sim topology CSV, so that a
// network can be simulated by SCALE-Sim; the other layers take no array time and are left out. A
// grouped conv becomes one row per group ("NAME_g0", …). A
// depthwise layer's name gets "_DP" unless it has "DP" already, and "DP" in another layer's name is
// lower-cased, so that SCALE-Sim reads each kind back as written. A dense layer becomes a 1×1
// convolution on a 1×1 map over its flattened input. The IFMAP written is the extent the windows read,
// (out − 1)·stride + kernel: SCALE-Sim's ceil then gives the layer's own output size (PyTorch's floor
// drops padded rows no window reaches, which SCALE-Sim would count as one more window), and a dilated
// convolution becomes the undilated one with the same GEMM. A ninth column (stride along the width) is
// written only when some layer's strides differ. Commas, quotes and line breaks in names become '_'
// (SCALE-Sim splits rows on commas without quoting).
func WriteTopology(w io.Writer, layers []accel.Layer) error {
	var rows [][]string
	wide := false
	for i, l := range layers {
		if !l.Op.IsGEMM() {
			continue
		}
		if err := l.Validate(); err != nil {
			return fmt.Errorf("layer %q: %w", l.Name, err)
		}
		name := strings.Map(func(r rune) rune {
			if r == ',' || r == '"' || r == '\n' || r == '\r' {
				return '_'
			}
			return r
		}, strings.TrimSpace(l.Name))
		if name == "" || strings.HasPrefix(name, "#") {
			name = fmt.Sprintf("layer%d%s", i, strings.TrimPrefix(name, "#"))
		}
		inH, inW, kH, kW, c, f, sH, sW := l.InH, l.InW, l.KH, l.KW, l.InC, l.OutC, l.StrideH, l.StrideW
		switch l.Op {
		case accel.Depthwise:
			if !strings.Contains(name, "DP") {
				name += "_DP"
			}
			f = 1
		case accel.Conv:
			name = strings.ReplaceAll(name, "DP", "dp")
		case accel.Dense:
			name = strings.ReplaceAll(name, "DP", "dp")
			inH, inW, kH, kW, c, sH, sW = 1, 1, 1, 1, l.InC*l.InH*l.InW, 1, 1
		}
		if l.Op != accel.Dense {
			inH, inW = readExtent(l.OutH, l.KH, l.StrideH), readExtent(l.OutW, l.KW, l.StrideW)
		}
		wide = wide || sH != sW
		// SCALE-Sim has no groups: a grouped conv is written as its G independent convolutions of
		// c/G channels to f/G filters, the G GEMMs it lowers to.
		groups := 1
		if l.Op == accel.Conv && l.Groups > 1 {
			groups, c, f = l.Groups, c/l.Groups, f/l.Groups
		}
		for g := range groups {
			rowName := name
			if groups > 1 {
				rowName = fmt.Sprintf("%s_g%d", name, g)
			}
			rows = append(rows, []string{rowName,
				strconv.Itoa(inH), strconv.Itoa(inW), strconv.Itoa(kH), strconv.Itoa(kW),
				strconv.Itoa(c), strconv.Itoa(f), strconv.Itoa(sH), strconv.Itoa(sW)})
		}
	}
	n := minTopologyColumns
	if wide {
		n++
	}
	// SCALE-Sim ends every row with a comma (its reader drops the last field), so we do too.
	cw := csv.NewWriter(w)
	if err := cw.Write(append(append([]string(nil), topologyColumns[:n]...), "")); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write(append(r[:n:n], "")); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
