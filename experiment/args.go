package experiment

import (
	"fmt"
	"strings"

	"github.com/uboost/uboost/protocol"
)

// CheckSearchArgs rejects forwarded search flags (--search-args) that would override what makes each
// job that job: its method's cost model, λ, β, seed, preset, run directory, and whatever else
// Job.SearchArgs sets. Forwarding "--seed 3" once made every seed run seed 3. The identity flags are
// read from Job.SearchArgs itself, so a flag it gains later is covered without a second list.
func CheckSearchArgs(extra []string) error {
	own, err := Job{Method: UBoost, Protocol: protocol.UBoost}.SearchArgs("demo", "dir", 1, true, nil)
	if err != nil {
		return err
	}
	identity := map[string]bool{}
	for _, a := range own {
		if strings.HasPrefix(a, "--") {
			identity[a] = true
		}
	}
	for _, a := range extra {
		name, _, _ := strings.Cut(a, "=")
		if identity[name] {
			return fmt.Errorf("%s sets what each job is (its method, λ, β, seed, preset, directory and threads come from the experiment's own flags); leave it out of --search-args", name)
		}
	}
	return nil
}
