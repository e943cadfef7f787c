package protocol

import "testing"

func TestParse(t *testing.T) {
	for _, p := range All {
		if got, err := Parse(string(p)); err != nil || got != p {
			t.Errorf("Parse(%q) = %q, %v", p, got, err)
		}
	}
	if got, _ := Parse("Paper"); got != Paper {
		t.Errorf("Parse(Paper) = %q, want paper", got)
	}
	if _, err := Parse("both"); err == nil || err.Error() != `unknown protocol "both" (want uboost or paper)` {
		t.Errorf("Parse(both): err = %v", err)
	}
}
