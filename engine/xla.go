//go:build xla

package engine

// Built with -tags xla, the binary also holds GoMLX's XLA backend, for GPU users:
//
//	GOMLX_BACKEND=xla:cuda uboost ...           (PJRT plugin found through PJRT_PLUGIN_LIBRARY_PATH)
//	GOMLX_BACKEND=xla:/path/to/plugin.so uboost ...
//
// The build needs cgo and go-xla's module (go get github.com/gomlx/go-xla@v0.1.4, the version
// GoMLX v0.26.0 requires). XLA's automatic download of plugins is turned off: a missing plugin is
// an error that says where to point PJRT_PLUGIN_LIBRARY_PATH, never a network access.

import "github.com/gomlx/gomlx/backends/xla"

func init() { xla.EnableAutoInstall(false) }
