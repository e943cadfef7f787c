package runlock

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecondProcessRefused is finding 1's "two processes resuming one directory interleave": a second
// process gets a one-line error naming the directory and the holder's PID; after Release it succeeds.
func TestSecondProcessRefused(t *testing.T) {
	if dir := os.Getenv("RUNLOCK_CHILD_DIR"); dir != "" {
		_, err := Acquire(dir)
		fmt.Print(err)
		os.Exit(0)
	}
	dir := filepath.Join(t.TempDir(), "run")
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	child := func() string {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSecondProcessRefused$")
		cmd.Env = append(os.Environ(), "RUNLOCK_CHILD_DIR="+dir)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	want := fmt.Sprintf("%s is being written by process %d; wait for it to end or choose another directory", dir, os.Getpid())
	if got := child(); got != want {
		t.Errorf("second process: %q\nwant %q", got, want)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if got := child(); got != "<nil>" {
		t.Errorf("after Release: %q, want the lock taken", got)
	}
	if strings.Contains(want, "\n") {
		t.Error("error spans lines")
	}
}
