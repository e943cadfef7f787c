// Package checkpoint opens GoMLX checkpoint directories with a fallback: GoMLX keeps the last few
// checkpoints, and when the newest one fails to load (a .bin truncated by a full disk or a kill during
// Save) the run resumes from the previous one instead of failing every resume.
package checkpoint

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
)

// BrokenPrefix is prepended to the files of a checkpoint that failed to load; GoMLX no longer lists
// them, and they stay on disk for inspection.
const BrokenPrefix = "broken-"

// Open calls open, which must build a fresh context and a handler on dir (loading its newest
// checkpoint), and returns its handler. When open fails and dir keeps an older checkpoint, the newest
// checkpoint's files are renamed with BrokenPrefix and open is called again. warning is empty unless
// that happened; then it is one line naming the checkpoints set aside and the one resumed from.
func Open(dir string, open func() (*checkpoints.Handler, error)) (h *checkpoints.Handler, warning string, err error) {
	var broken []string
	for {
		h, err = open()
		if err == nil {
			break
		}
		names, lerr := list(dir)
		if lerr != nil || len(names) < 2 {
			return nil, "", err
		}
		newest := names[len(names)-1]
		for _, suffix := range []string{checkpoints.JsonNameSuffix, checkpoints.BinDataSuffix} {
			from := filepath.Join(dir, newest+suffix)
			if rerr := os.Rename(from, filepath.Join(dir, BrokenPrefix+newest+suffix)); rerr != nil && !os.IsNotExist(rerr) {
				return nil, "", err
			}
		}
		broken = append(broken, fmt.Sprintf("%s (%s)", newest, firstLine(err)))
	}
	if len(broken) == 0 {
		return h, "", nil
	}
	names, _ := h.ListCheckpoints()
	from := "no checkpoint"
	if len(names) > 0 {
		from = names[len(names)-1]
	}
	return h, fmt.Sprintf("%s: checkpoint %s failed to load, set aside as %s*; resumed from %s",
		dir, strings.Join(broken, ", "), BrokenPrefix, from), nil
}

// list returns dir's checkpoints, oldest first, as GoMLX names them.
func list(dir string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "checkpoint-*"+checkpoints.JsonNameSuffix))
	if err != nil {
		return nil, err
	}
	for i, m := range matches {
		matches[i] = strings.TrimSuffix(filepath.Base(m), checkpoints.JsonNameSuffix)
	}
	return matches, nil // Glob sorts, and GoMLX's names sort in save order
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
