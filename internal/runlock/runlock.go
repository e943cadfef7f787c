// Package runlock keeps two processes from writing one run directory at once (two resumes of one
// search interleaved their epochs before): a process holds an exclusive flock on DIR/.lock while it
// writes DIR, and the lock goes away with the process, however it ends.
package runlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// File is the lock file inside a run directory; it holds the PID of the process writing the run.
const File = ".lock"

// Lock is a held run-directory lock.
type Lock struct{ f *os.File }

// Acquire creates dir if needed and locks it for this process without waiting. When another process
// holds it, the error names dir and that process's PID.
func Acquire(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, File)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			holder := "another process"
			if raw, rerr := os.ReadFile(path); rerr == nil {
				if pid, perr := strconv.Atoi(strings.TrimSpace(string(raw))); perr == nil {
					holder = fmt.Sprintf("process %d", pid)
				}
			}
			return nil, fmt.Errorf("%s is being written by %s; wait for it to end or choose another directory", dir, holder)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Release unlocks the directory (closing the file drops the flock). Release of a nil Lock does nothing.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
