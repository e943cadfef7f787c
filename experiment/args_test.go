package experiment

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckSearchArgs is finding 1: `--search-args "--seed 3"` overrode every job's seed. Flags that
// set a job's identity are refused in both spellings; other search flags pass.
func TestCheckSearchArgs(t *testing.T) {
	for _, args := range [][]string{{"--seed", "3"}, {"--lambda=2"}, {"--cost", "flops"}, {"--beta", "0"}, {"--out", "x"}, {"--preset", "paper"}} {
		if err := CheckSearchArgs(args); err == nil || !strings.HasPrefix(err.Error(), strings.SplitN(args[0], "=", 2)[0]+" sets what each job is") {
			t.Errorf("%v: err = %v", args, err)
		}
	}
	if err := CheckSearchArgs([]string{"--epochs-micro", "1", "--data=cifar10:/d"}); err != nil {
		t.Errorf("ordinary flags refused: %v", err)
	}
}

// TestEqualLambdasMerge is finding 1: "--lambdas 2,2.0" launched two processes into one directory.
func TestEqualLambdasMerge(t *testing.T) {
	ls, err := ParseFloats("2, 2.0,0.5,2e0")
	if err != nil || len(ls) != 2 || ls[0] != 2 || ls[1] != 0.5 {
		t.Errorf("ParseFloats = %v, %v; want [2 0.5]", ls, err)
	}
}

// TestTruncatedResultNotFinished is finding 5: a truncated result.json counted as finished.
func TestTruncatedResultNotFinished(t *testing.T) {
	dir := t.TempDir()
	j := Job{Method: UBoost, Lambda: 1, Seed: 0}
	os.MkdirAll(RunDir(dir, j), 0o755)
	if err := os.WriteFile(filepath.Join(RunDir(dir, j), ResultFile), []byte(`{"test_accuracy": 0.9,`), 0o644); err != nil {
		t.Fatal(err)
	}
	if Finished(dir, j) {
		t.Error("a truncated result.json counts as finished")
	}
}
