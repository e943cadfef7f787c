package search

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"

	"github.com/uboost/uboost/internal/checkpoint"
	"github.com/uboost/uboost/internal/jsonfile"
	"github.com/uboost/uboost/internal/runconfig"
	"github.com/uboost/uboost/internal/runlock"
)

// ConfigFile is the stage directory's record of the configuration it was started with; a resumed stage
// must be given the same configuration (every field compared, none may change).
const ConfigFile = "config.json"

// openStageDir takes the stage directory for this process (a second process gets an error naming the
// holder), checks a resumed stage's configuration against the stored one, drops what a killed run left
// beyond the last complete checkpoint (all of it when starting afresh) and records the configuration.
// It returns the lock, to release when the stage ends, and the state to resume from.
func openStageDir(s *supernet, dir string, opt RunOptions) (*runlock.Lock, stageState, error) {
	var st stageState
	lock, err := runlock.Acquire(dir)
	if err != nil {
		return nil, st, err
	}
	fail := func(err error) (*runlock.Lock, stageState, error) {
		lock.Release()
		return nil, st, err
	}
	statePath := filepath.Join(dir, stateFile)
	if raw, err := os.ReadFile(statePath); err == nil {
		if !opt.Resume {
			return fail(fmt.Errorf("%s: a %s stage was already run here; resume it or choose another directory", dir, s.stage))
		}
		if err := json.Unmarshal(raw, &st); err != nil {
			return fail(fmt.Errorf("%s: %w", statePath, jsonfile.Describe(raw, err)))
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fail(err)
	}
	cfgPath := filepath.Join(dir, ConfigFile)
	if _, err := os.Stat(cfgPath); err == nil && opt.Resume {
		if err := runconfig.Check(cfgPath, s.cfg); err != nil {
			return fail(err)
		}
	}
	ck := filepath.Join(dir, ckptDir)
	if err := os.MkdirAll(ck, 0o755); err != nil {
		return fail(err)
	}
	entries, err := os.ReadDir(ck)
	if err != nil {
		return fail(err)
	}
	for _, e := range entries {
		keep := func(name string) bool { return name != "" && strings.HasPrefix(e.Name(), name+".") }
		if !keep(st.Checkpoint) && !keep(st.Previous) {
			if err := os.RemoveAll(filepath.Join(ck, e.Name())); err != nil {
				return fail(err)
			}
		}
	}
	if err := jsonfile.Write(cfgPath, s.cfg); err != nil {
		return fail(err)
	}
	return lock, st, nil
}

// openStageCheckpoint makes the stage's context and loads its newest checkpoint; when that one is
// broken it falls back to the previous epoch's checkpoint (st moves back one epoch) and reports it
// through warn.
func openStageCheckpoint(cfg *Config, ck string, st *stageState, warn func(string)) (*context.Context, *checkpoints.Handler, error) {
	var ctx *context.Context
	handler, warning, err := checkpoint.Open(ck, func() (*checkpoints.Handler, error) {
		ctx = context.New()
		ctx.SetParam(context.ParamInitialSeed, cfg.Seed)
		if err := ctx.SetRNGStateFromSeed(cfg.Seed); err != nil {
			return nil, err
		}
		return checkpoints.Build(ctx).Dir(ck).Keep(2).Done()
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", ck, err)
	}
	if warning != "" {
		names, _ := handler.ListCheckpoints()
		if len(names) == 0 || names[len(names)-1] != st.Previous {
			return nil, nil, fmt.Errorf("%s: %s, which is not the previous epoch's (%s)", ck, warning, st.Previous)
		}
		*st = stageState{EpochsDone: st.EpochsDone - 1, Checkpoint: st.Previous}
		if warn != nil {
			warn(warning)
		}
	}
	return ctx, handler, nil
}
