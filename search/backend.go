package search

import (
	"github.com/gomlx/gomlx/backends"

	"github.com/uboost/uboost/engine"
)

// defaultBackend is the backend a run uses when RunOptions.Backend is nil: the project's CPU engine
// (or what GOMLX_BACKEND names).
func defaultBackend() (backends.Backend, error) { return engine.NewBackend() }
