package checkpoint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
)

// TestFallbackToPrevious is finding 6: a truncated newest .bin failed every resume although GoMLX
// keeps the previous checkpoint. Two checkpoints hold x = 1 and x = 2; the newest .bin is cut short;
// Open resumes from x = 1 and says so.
func TestFallbackToPrevious(t *testing.T) {
	dir := t.TempDir()
	ctx := context.New()
	h, err := checkpoints.Build(ctx).Dir(dir).Keep(2).Done()
	if err != nil {
		t.Fatal(err)
	}
	v := ctx.VariableWithValue("x", []float32{1, 1, 1, 1})
	for _, x := range []float32{1, 2} {
		v.MustSetValue(tensors.FromValue([]float32{x, x, x, x}))
		if err := h.Save(); err != nil {
			t.Fatal(err)
		}
	}
	names, _ := h.ListCheckpoints()
	if len(names) != 2 {
		t.Fatalf("checkpoints %v, want 2", names)
	}
	bin := filepath.Join(dir, names[1]+checkpoints.BinDataSuffix)
	if err := os.Truncate(bin, 4); err != nil {
		t.Fatal(err)
	}
	var got *context.Context
	h2, warning, err := Open(dir, func() (*checkpoints.Handler, error) {
		got = context.New()
		return checkpoints.Build(got).Dir(dir).Keep(2).Done()
	})
	if err != nil {
		t.Fatal(err)
	}
	x := got.Checked(false).VariableWithValue("x", []float32{0, 0, 0, 0}).MustValue().Value().([]float32)
	if x[0] != 1 {
		t.Errorf("resumed x = %v, want the previous checkpoint's 1", x)
	}
	if !strings.Contains(warning, names[1]) || !strings.HasSuffix(warning, "resumed from "+names[0]) {
		t.Errorf("warning = %q", warning)
	}
	if left, _ := h2.ListCheckpoints(); len(left) != 1 || left[0] != names[0] {
		t.Errorf("checkpoints after fallback %v, want [%s]", left, names[0])
	}
	if _, err := os.Stat(filepath.Join(dir, BrokenPrefix+names[1]+checkpoints.BinDataSuffix)); err != nil {
		t.Errorf("broken checkpoint not kept for inspection: %v", err)
	}

	// With only one checkpoint left and it broken, the load error is returned.
	if err := os.Truncate(filepath.Join(dir, names[0]+checkpoints.BinDataSuffix), 4); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Open(dir, func() (*checkpoints.Handler, error) {
		return checkpoints.Build(context.New()).Dir(dir).Keep(2).Done()
	}); err == nil {
		t.Error("a lone broken checkpoint loaded")
	}
}
