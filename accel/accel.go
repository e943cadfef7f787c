// Package accel describes an array-based inference accelerator (a weight-stationary systolic array
// with on-chip SRAM and off-chip DRAM) and the layers that run on it, and lowers each layer to the
// matrix products ("matrixification", U-Boost NAS §3.2) that the array executes.
//
// It knows nothing about GoMLX, cost models or simulation: it only says what an accelerator is and
// which GEMMs a layer becomes. Packages cost and sim price those GEMMs.
package accel

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/uboost/uboost/internal/jsonfile"
)

// Buffering says whether the array can load the next weight tile while the current one computes.
type Buffering string

const (
	// DoubleBuffer loads the next tile's weights while the current tile streams (the default).
	DoubleBuffer Buffering = "double"
	// SingleBuffer loads weights only when the array is idle.
	SingleBuffer Buffering = "single"
)

// Defaults of an accelerator, the platform U-Boost NAS simulates (PAPER.md §3.1): one 128×128 array at
// 1 GHz, 80 GB/s off-chip bandwidth, 15 MB of SRAM, 2-byte elements, batch 1, double-buffered weights.
const (
	DefaultRows         = 128
	DefaultCols         = 128
	DefaultClockHz      = 1e9
	DefaultBandwidthBps = 80e9
	DefaultSRAMBytes    = 15 << 20
	DefaultElementBytes = 2
	DefaultBatch        = 1
)

// Accelerator is an R×C weight-stationary array with its clock, memory system and the batch it runs.
// Build one with New and the chained setters; the zero value is not valid.
type Accelerator struct {
	Rows int `json:"rows"`
	Cols int `json:"cols"`
	// Arrays is how many identical R×C arrays share the SRAM and the DRAM channel (a scale-out design
	// such as SOSA, Yüzügüler et al., MICRO 2022); 0 and 1 are one array. A layer's weight tiles are
	// dealt out round-robin, so the busiest array runs ⌈tiles/Arrays⌉ of them.
	Arrays       int       `json:"arrays,omitempty"`
	ClockHz      float64   `json:"clock_hz"`
	BandwidthBps float64   `json:"bandwidth_bytes_per_s"`
	SRAMBytes    int64     `json:"sram_bytes"`
	ElementBytes int       `json:"element_bytes"`
	Batch        int       `json:"batch"`
	Weights      Buffering `json:"weight_buffering"`
	// Energy prices each access (energy.go); the search's energy objective and every report's
	// energy_uj read it.
	Energy Energy `json:"energy"`
}

// New returns an accelerator with a rows×cols array and every other setting at its default.
func New(rows, cols int) *Accelerator {
	return &Accelerator{
		Rows: rows, Cols: cols,
		ClockHz:      DefaultClockHz,
		BandwidthBps: DefaultBandwidthBps,
		SRAMBytes:    DefaultSRAMBytes,
		ElementBytes: DefaultElementBytes,
		Batch:        DefaultBatch,
		Weights:      DoubleBuffer,
		Energy:       DefaultEnergy(),
	}
}

// Default returns the paper's platform: New(128, 128) with all defaults.
func Default() *Accelerator { return New(DefaultRows, DefaultCols) }

// Clock sets the clock frequency in GHz.
func (a *Accelerator) Clock(ghz float64) *Accelerator { a.ClockHz = ghz * 1e9; return a }

// Bandwidth sets the off-chip bandwidth in GB/s (10^9 bytes per second).
func (a *Accelerator) Bandwidth(gbs float64) *Accelerator { a.BandwidthBps = gbs * 1e9; return a }

// SRAM sets the on-chip memory in bytes.
func (a *Accelerator) SRAM(bytes int64) *Accelerator { a.SRAMBytes = bytes; return a }

// Elements sets the bytes per stored element (2 for bf16/fp16, 1 for int8).
func (a *Accelerator) Elements(bytes int) *Accelerator { a.ElementBytes = bytes; return a }

// WithBatch sets the inference batch size.
func (a *Accelerator) WithBatch(b int) *Accelerator { a.Batch = b; return a }

// Buffer sets the weight buffering.
func (a *Accelerator) Buffer(b Buffering) *Accelerator { a.Weights = b; return a }

// PEs returns the number of processing elements of one array, R·C.
func (a *Accelerator) PEs() int64 { return int64(a.Rows) * int64(a.Cols) }

// arraysName is "a RxC array" or "N RxC arrays".
func (a *Accelerator) arraysName() string {
	if a.NumArrays() > 1 {
		return fmt.Sprintf("%d %dx%d arrays", a.Arrays, a.Rows, a.Cols)
	}
	return fmt.Sprintf("a %dx%d array", a.Rows, a.Cols)
}

// NumArrays is Arrays with its zero value read as one array.
func (a *Accelerator) NumArrays() int { return max(a.Arrays, 1) }

// AllPEs returns the processing elements of all the arrays, Arrays·R·C: what a utilization refers to.
func (a *Accelerator) AllPEs() int64 { return int64(a.NumArrays()) * a.PEs() }

// WithArrays sets the number of arrays; one array is stored as 0, so that an accelerator's JSON names
// "arrays" only when there are several.
func (a *Accelerator) WithArrays(n int) *Accelerator {
	a.Arrays = n
	if n == 1 {
		a.Arrays = 0
	}
	return a
}

// Shape writes the arrays as ParseArrayShape reads them: "RxC" for one array, "NxRxC" for N.
func (a *Accelerator) Shape() string { return a.ArrayShape().String() }

// ArrayShape returns the accelerator's rows, columns and array count.
func (a *Accelerator) ArrayShape() ArrayShape {
	return ArrayShape{Rows: a.Rows, Cols: a.Cols, Arrays: a.Arrays}
}

// ArrayShape is an accelerator's arrays: one R×C array, or Arrays of them sharing the SRAM and the
// DRAM channel (Accelerator.Arrays; 0 is one array).
type ArrayShape struct {
	Rows   int `json:"rows"`
	Cols   int `json:"cols"`
	Arrays int `json:"arrays,omitempty"`
}

// String writes the shape as ParseArrayShape reads it, "RxC" or "NxRxC".
func (s ArrayShape) String() string {
	if s.Arrays > 1 {
		return fmt.Sprintf("%dx%dx%d", s.Arrays, s.Rows, s.Cols)
	}
	return fmt.Sprintf("%dx%d", s.Rows, s.Cols)
}

// Set gives accelerator a the shape's rows, columns and array count.
func (s ArrayShape) Set(a *Accelerator) {
	a.Rows, a.Cols = s.Rows, s.Cols
	a.WithArrays(s.Arrays)
}

// BytesPerCycle is the off-chip bandwidth expressed per array clock cycle.
func (a *Accelerator) BytesPerCycle() float64 { return a.BandwidthBps / a.ClockHz }

// Milliseconds converts a cycle count to milliseconds at this accelerator's clock.
func (a *Accelerator) Milliseconds(cycles float64) float64 { return cycles / a.ClockHz * 1e3 }

// Validate reports the first setting that makes the accelerator impossible, naming its field.
func (a *Accelerator) Validate() error {
	switch {
	case a.Rows <= 0 || a.Rows > MaxArrayDim:
		return fieldErr("rows", "want an integer in 1..%d, got %d", MaxArrayDim, a.Rows)
	case a.Cols <= 0 || a.Cols > MaxArrayDim:
		return fieldErr("cols", "want an integer in 1..%d, got %d", MaxArrayDim, a.Cols)
	case a.Arrays < 0 || a.Arrays > MaxArrays:
		return fieldErr("arrays", "want an integer in 1..%d, got %d", MaxArrays, a.Arrays)
	case !(a.ClockHz > 0) || a.ClockHz > 1e13:
		return fieldErr("clock_hz", "want a positive frequency, got %g", a.ClockHz)
	case !(a.BandwidthBps > 0) || a.BandwidthBps > 1e16:
		return fieldErr("bandwidth_bytes_per_s", "want a positive bandwidth, got %g", a.BandwidthBps)
	case !(a.BytesPerCycle() >= MinBytesPerCycle):
		return fieldErr("bandwidth_bytes_per_s", "want at least %g bytes per clock cycle, got %g", MinBytesPerCycle, a.BytesPerCycle())
	case a.SRAMBytes <= 0 || a.SRAMBytes > MaxSRAMBytes:
		return fieldErr("sram_bytes", "want a size in 1..%d bytes, got %d", int64(MaxSRAMBytes), a.SRAMBytes)
	case a.ElementBytes <= 0 || a.ElementBytes > MaxElementBytes:
		return fieldErr("element_bytes", "want an integer in 1..%d, got %d", MaxElementBytes, a.ElementBytes)
	case a.Batch <= 0 || a.Batch > MaxBatch:
		return fieldErr("batch", "want an integer in 1..%d, got %d", MaxBatch, a.Batch)
	case a.Weights != DoubleBuffer && a.Weights != SingleBuffer:
		return fieldErr("weight_buffering", "want %q or %q, got %q", DoubleBuffer, SingleBuffer, a.Weights)
	}
	return a.Energy.validate()
}

// String prints the accelerator the way a user would type it.
func (a *Accelerator) String() string {
	return fmt.Sprintf("%s, %g GHz, %g GB/s, %.3g MB SRAM, batch %d, %s-buffered weights",
		strings.TrimPrefix(a.arraysName(), "a "), a.ClockHz/1e9, a.BandwidthBps/1e9, float64(a.SRAMBytes)/(1<<20), a.Batch, a.Weights)
}

// FieldError is an invalid setting, named by its JSON field.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return fmt.Sprintf("field %q: %v", e.Field, e.Err) }
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// ParseArrayShape parses arrays written "RxC" (one array, e.g. "128x128") or "NxRxC" (N arrays of
// R×C, e.g. "4x64x64"); one array has Arrays 0.
func ParseArrayShape(s string) (ArrayShape, error) {
	parts := strings.Split(strings.ToLower(strings.TrimSpace(s)), "x")
	if len(parts) != 3 {
		rows, cols, err := ParseArray(s)
		return ArrayShape{Rows: rows, Cols: cols}, err
	}
	n, err := strconv.Atoi(parts[0])
	if err != nil || n < 1 || n > MaxArrays {
		return ArrayShape{}, fmt.Errorf("want NxROWSxCOLS with N arrays in 1..%d, got %q", MaxArrays, s)
	}
	rows, cols, err := ParseArray(parts[1] + "x" + parts[2])
	if err != nil {
		return ArrayShape{}, fmt.Errorf("want NxROWSxCOLS with two integers in 1..%d after N, got %q", MaxArrayDim, s)
	}
	out := ArrayShape{Rows: rows, Cols: cols}
	if n > 1 {
		out.Arrays = n
	}
	return out, nil
}

// ParseArray parses an array size written "RxC" (e.g. "128x128", "32x256").
func ParseArray(s string) (rows, cols int, err error) {
	r, c, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "x")
	if !ok {
		return 0, 0, fmt.Errorf("want ROWSxCOLS such as 128x128, got %q", s)
	}
	rows, err1 := strconv.Atoi(r)
	cols, err2 := strconv.Atoi(c)
	if err1 != nil || err2 != nil || rows <= 0 || cols <= 0 || rows > MaxArrayDim || cols > MaxArrayDim {
		return 0, 0, fmt.Errorf("want two integers in 1..%d, ROWSxCOLS, got %q", MaxArrayDim, s)
	}
	return rows, cols, nil
}

// ParseJSON reads an accelerator from JSON. Fields left out keep their defaults; unknown fields are an
// error so that a misspelt setting is not silently ignored.
func ParseJSON(data []byte) (*Accelerator, error) {
	a := Default()
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(a); err != nil {
		return nil, jsonfile.Describe(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the accelerator's JSON object")
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return a, nil
}
