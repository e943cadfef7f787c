package main

import (
	"fmt"
	"io"
)

// checkCounts rejects negative values of count flags whose zero means "all" or "default", so that a
// typo such as --limit-train -5 or --threads -1 is not silently read as "all".
func checkCounts(counts map[string]int) error {
	for name, v := range counts {
		if v < 0 {
			return fmt.Errorf("flag --%s: want 0 or a positive integer, got %d", name, v)
		}
	}
	return nil
}

// warnTo returns a callback that prints a library's one-line warnings on w.
func warnTo(w io.Writer) func(string) {
	return func(msg string) { fmt.Fprintln(w, "uboost: warning: "+msg) }
}
