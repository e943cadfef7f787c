// Package protocol names the experimental protocols a run can follow: "uboost", this project's
// settings, and "paper", U-Boost NAS as its paper and reference code ran it (docs/PROTOCOL.md). A
// protocol only picks values for settings that each stay reachable on their own; package pipeline
// resolves the run's settings and package experiment its methods' cost models. The package is a leaf
// so that both can share the one list of names.
package protocol

import (
	"fmt"
	"strings"
)

// Protocol is the name of a protocol.
type Protocol string

const (
	// UBoost is this project's protocol, the default: exact expected costs over width options, the
	// reference aggregation (MAC-weighted until 2026-11-30, docs/PROTOCOL.md), the bug-fixed roofline
	// and a lookup table of the exact model at the search batch as baselines, per-cell Gumbel noise,
	// the project's final-training recipe and the simulator's default schedule.
	UBoost Protocol = "uboost"
	// Paper reproduces the paper's experiment (PAPER.md §1.3–1.6, §2.3–2.6): the paper's smooth
	// ceiling on every layer at expected widths, the reference aggregation, the paper's Roofline and
	// Blackbox baselines, shared Gumbel noise, the reference's final-training recipe and latency
	// measured with the simulator schedule closest to the reference's.
	Paper Protocol = "paper"
)

// All lists the protocols, the default first.
var All = []Protocol{UBoost, Paper}

// Parse reads a protocol name.
func Parse(s string) (Protocol, error) {
	for _, p := range All {
		if string(p) == strings.ToLower(s) {
			return p, nil
		}
	}
	names := make([]string, len(All))
	for i, p := range All {
		names[i] = string(p)
	}
	return "", fmt.Errorf("unknown protocol %q (want %s)", s, strings.Join(names, " or "))
}
