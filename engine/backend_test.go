//go:build !xla

package engine_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/uboost/uboost/engine"
)

// TestBackendSelection: without -tags xla only simplego and the engine are registered (nothing
// can try to download XLA), an empty or "go" GOMLX_BACKEND gives the engine, and a backend that
// is not built in is an error naming the variable.
func TestBackendSelection(t *testing.T) {
	names := backends.List()
	for _, n := range names {
		if n != "go" && n != engine.BackendName {
			t.Errorf("unexpected backend %q registered: %v", n, names)
		}
	}
	if !slices.Contains(names, engine.BackendName) {
		t.Errorf("engine not registered: %v", names)
	}
	if got := engine.Backend().String(); got != engine.BackendName {
		t.Errorf("Backend() is %q, want %q", got, engine.BackendName)
	}
	for _, spec := range []string{"go", "uboost:ops_sequential"} {
		e, err := backends.NewWithConfig(spec)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		_ = e
	}
	if _, err := engine.New("no_such_option"); err == nil || !strings.Contains(err.Error(), "no_such_option") {
		t.Errorf("bad config: err = %v", err)
	}
}
