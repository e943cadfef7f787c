// Package jsonfile reads and writes the small JSON files of run directories (configs, results, stage
// state). Writes go through internal/atomicfile (unique temporary file, fsync, rename), so a reader —
// or a run resumed after a crash — never sees half a file; reads are bounded by inputfile.MaxBytes.
package jsonfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

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
		return fmt.Errorf("%s: %w", path, Describe(raw, err))
	}
	return nil
}

// ReadStrict is Read refusing fields v does not have, so that a misspelt key is not silently dropped.
func ReadStrict(path string, v any) error {
	raw, err := inputfile.Read(path, inputfile.MaxBytes)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, Describe(raw, err))
	}
	return nil
}

// Describe turns an encoding/json error from decoding data into one line naming the field, or the
// line of a syntax error; a document cut short says so.
func Describe(data []byte, err error) error {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	// A document cut short (json.Unmarshal's "unexpected end of JSON input", a Decoder's
	// io.ErrUnexpectedEOF) is named at its last line with anything on it.
	truncated := func() error {
		content := bytes.TrimRight(data, " \t\r\n")
		return fmt.Errorf("line %d: truncated JSON", 1+bytes.Count(content, []byte("\n")))
	}
	switch {
	case errors.As(err, &syntax):
		if syntax.Error() == "unexpected end of JSON input" {
			return truncated()
		}
		line := 1 + bytes.Count(data[:min(int(syntax.Offset), len(data))], []byte("\n"))
		return fmt.Errorf("line %d: malformed JSON: %v", line, syntax)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return truncated()
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no error type for DisallowUnknownFields; its message names the field.
		return fmt.Errorf("field %s: unknown field", strings.TrimPrefix(err.Error(), "json: unknown field "))
	case errors.As(err, &typeErr):
		return fmt.Errorf("field %q: want %s, got a JSON %s", typeErr.Field, jsonKind(typeErr.Type), typeErr.Value)
	}
	return fmt.Errorf("malformed JSON: %v", err)
}

// jsonKind names what JSON value a Go type decodes from, as a user writing the file would say it.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return fmt.Sprintf("an integer (%s)", t)
	case reflect.Float32, reflect.Float64:
		return fmt.Sprintf("a number (%s)", t)
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}
