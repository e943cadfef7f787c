package search

import (
	"path/filepath"
	"testing"
)

func TestRunMicroThenChannel(t *testing.T) {
	ds := fixture(t, 80, 8)
	cfg := tinyConfig(t)
	dir := t.TempDir()
	mr, err := RunMicro(cfg, ds.Train, filepath.Join(dir, "micro"), RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("genotype %v", mr.Genotype.Ops)
	cr, err := RunChannel(cfg, ds.Train, mr.Genotype, filepath.Join(dir, "channel"), RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("widths %v", cr.Widths)
}
