package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestWriteReplacesWhole: the file holds exactly what was written, with ordinary permissions, and no
// temporary file is left behind.
func TestWriteReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(path, []byte("old content that is longer"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "new" {
		t.Errorf("file = %q, want %q", got, "new")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, want 0644", fi.Mode().Perm())
	}
	assertOnly(t, dir, "out.txt")
}

// TestFailedWriteKeepsOld: a write that fails half-way leaves the previous file untouched and names
// the file in its error (the report writers left a truncated file instead).
func TestFailedWriteKeepsOld(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, []byte("complete"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	err := Write(path, func(w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	})
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), path+": ") {
		t.Errorf("err = %v, want %v naming %s", err, boom, path)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "complete" {
		t.Errorf("file = %q after a failed write, want the old content", got)
	}
	assertOnly(t, dir, "report.html")
}

// TestConcurrentWriters: writers of one path never rename each other's partial file (the old fixed
// ".tmp" name let them): the result is always one writer's complete content.
func TestConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "summary.json")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := strings.Repeat(fmt.Sprint(i), 1<<16)
			if err := WriteBytes(path, []byte(body)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, _ := os.ReadFile(path)
	if len(got) != 1<<16 || strings.Count(string(got), string(got[:1])) != len(got) {
		t.Errorf("file mixes writers: %d bytes, starts %q", len(got), got[:8])
	}
	assertOnly(t, dir, "summary.json")
}

func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("directory holds %v, want %v", got, names)
	}
}
