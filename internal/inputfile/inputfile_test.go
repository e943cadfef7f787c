package inputfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "a.json")
	os.WriteFile(small, []byte(`{"rows":8}`), 0o644)
	if got, err := Read(small, 10); err != nil || string(got) != `{"rows":8}` {
		t.Errorf("Read at the limit = %q, %v", got, err)
	}
	if _, err := Read(small, 9); err == nil || !strings.Contains(err.Error(), small) || !strings.Contains(err.Error(), "9-byte limit") {
		t.Errorf("Read over the limit: err = %v, want the limit error naming %s", err, small)
	}
}

// TestEndlessFile: /dev/zero (finding 3: --arch /dev/zero read until out of memory) fails fast.
func TestEndlessFile(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	start := time.Now()
	if _, err := Read("/dev/zero", MaxBytes); err == nil || !strings.HasPrefix(err.Error(), "/dev/zero: larger than") {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}
