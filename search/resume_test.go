package search

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// envKillAt makes the test binary, re-run as a child, search into the named directory and SIGKILL itself
// in the middle of the second epoch.
const envKillAt = "UBOOST_SEARCH_KILL_DIR"

// resumeConfig is a three-epoch micro search on 8 images per batch.
func resumeConfig(t *testing.T) *Config {
	c := tinyConfig(t)
	c.EpochsMicro, c.StepsPerEpoch = 3, 5
	c.Lambda, c.Beta = 2000, 0.5
	return c
}

func TestKilledChild(t *testing.T) {
	dir := os.Getenv(envKillAt)
	if dir == "" {
		t.Skip("runs only as the child of TestResumeAfterSIGKILL")
	}
	ds := fixture(t, 80, 8)
	_, err := RunMicro(resumeConfig(t), ds.Train, dir, RunOptions{Progress: func(p Progress) {
		if p.Epoch == 2 && p.Step == 3 {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
	}})
	t.Fatalf("the child was not killed: %v", err)
}

// TestResumeAfterSIGKILL kills a search mid-epoch (SIGKILL: no deferred code runs, files are left as
// they were), resumes it, and compares with a search never interrupted: the op logits must be equal
// bit for bit and arch.json byte for byte.
func TestResumeAfterSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	ds := fixture(t, 80, 8)
	whole := filepath.Join(t.TempDir(), "whole")
	want, err := RunMicro(resumeConfig(t), ds.Train, whole, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}

	killed := filepath.Join(t.TempDir(), "killed")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledChild$")
	// The child's own temporary directories go under this test's: SIGKILL skips the child's cleanup.
	cmd.Env = append(os.Environ(), envKillAt+"="+killed, "TMPDIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(killed, ArchFile)); err == nil {
		t.Fatal("the killed search wrote arch.json")
	}
	if _, err := RunMicro(resumeConfig(t), ds.Train, killed, RunOptions{}); err == nil {
		t.Fatal("re-running into a used directory without Resume succeeded")
	}
	steps := 0
	got, err := RunMicro(resumeConfig(t), ds.Train, killed, RunOptions{Resume: true, Progress: func(Progress) { steps++ }})
	if err != nil {
		t.Fatal(err)
	}
	if steps != 10 {
		t.Errorf("resumed run took %d steps, want 10 (epochs 2 and 3 from the checkpoint after epoch 1)", steps)
	}
	for j := range want.Alphas[0] {
		for o := range want.Alphas[0][j] {
			if got.Alphas[0][j][o] != want.Alphas[0][j][o] {
				t.Errorf("alpha[%d][%d]: resumed %v, uninterrupted %v", j, o, got.Alphas[0][j][o], want.Alphas[0][j][o])
			}
		}
	}
	a, _ := os.ReadFile(filepath.Join(whole, ArchFile))
	b, _ := os.ReadFile(filepath.Join(killed, ArchFile))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("arch.json differs:\n%s\nvs\n%s", a, b)
	}
	// metrics.jsonl keeps each epoch once: 3 epochs × (5 steps + 1 summary).
	m, _ := os.ReadFile(filepath.Join(killed, MetricsFile))
	if n := bytes.Count(m, []byte("\n")); n != 18 {
		t.Errorf("metrics.jsonl has %d lines after resuming, want 18", n)
	}
}
