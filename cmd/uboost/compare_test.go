package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/uboost/uboost/experiment"
)

// TestCompare: two finished runs, 90% at 0.05 ms and 80% at 0.02 ms, have hypervolumes
// 0.05·10 = 0.5 and 0.02·20 = 0.4, so the first is 1.25× the lowest; a directory without a
// result.json is refused, naming the file.
func TestCompare(t *testing.T) {
	dir := t.TempDir()
	writeRunResult(t, dir, "a", "systolic", 1, 0.90, 0.05)
	writeRunResult(t, dir, "b", "flops", 1, 0.80, 0.02)
	a, b := filepath.Join(dir, "runs", "a"), filepath.Join(dir, "runs", "b")
	stdout, stderr, ok := run(t, "compare", "--json", a, b)
	if !ok {
		t.Fatalf("compare failed: %s", stderr)
	}
	var rows []struct {
		Dir     string  `json:"dir"`
		Method  string  `json:"method"`
		HV      float64 `json:"hypervolume"`
		HVRatio float64 `json:"hypervolume_ratio"`
	}
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatalf("compare --json: %v\n%s", err, stdout)
	}
	if len(rows) != 2 || rows[0].Dir != a || rows[0].Method != "uboost" || !near(rows[0].HV, 0.5) || !near(rows[0].HVRatio, 1.25) ||
		!near(rows[1].HV, 0.4) || !near(rows[1].HVRatio, 1) {
		t.Errorf("rows = %+v", rows)
	}
	stdout, _, ok = run(t, "compare", a, b)
	if !ok || !strings.Contains(stdout, "| 128x128 | 90.00 | 50.00 | 50.0 | 0.5000 | 1.250 |") {
		t.Errorf("table:\n%s", stdout)
	}
	// --finished leaves out a run directory without result.json (a live grid's), saying so, but not a
	// path that does not exist.
	if err := os.MkdirAll(filepath.Join(dir, "runs", "live"), 0o755); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, ok = run(t, "compare", "--finished", a, filepath.Join(dir, "runs", "live"), b)
	if !ok || strings.Count(stdout, "\n") != 4 || !strings.Contains(stderr, "1 unfinished run directories left out") {
		t.Errorf("compare --finished: ok=%v stdout=%q stderr=%q", ok, stdout, stderr)
	}
	missing := filepath.Join(dir, "runs", "none")
	if _, _, ok := run(t, "compare", "--finished", a, missing); ok {
		t.Errorf("compare --finished accepted a path that does not exist")
	}
	if _, stderr, ok := run(t, "compare", a, missing); ok || !strings.Contains(stderr, filepath.Join(missing, "result.json")) ||
		strings.Count(stderr, "\n") != 1 {
		t.Errorf("compare of a missing run: ok=%v stderr=%q", ok, stderr)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(b)) }

// TestCompareGrids: --grids reads two experiment directories and compares U-Boost's runs; the
// arithmetic is experiment.TestCompareGrids'.
func TestCompareGridsCLI(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	writeRunResult(t, a, "uboost-l1-s0", "systolic", 1, 0.90, 0.05)
	writeRunResult(t, b, "uboost-l1-s0", "systolic", 1, 0.80, 0.05)
	stdout, stderr, ok := run(t, "compare", "--grids", a, b)
	if !ok || !strings.Contains(stdout, "uboost: hypervolume A 0.5000 (1 runs), B 1.0000 (1 runs); A/B 0.50×") {
		t.Errorf("compare --grids: ok=%v stdout=%q stderr=%q", ok, stdout, stderr)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"compare", "--grids", a}, "want two experiment directories"},
		{[]string{"compare", "--grids", a, filepath.Join(b, "none")}, "holds no experiment"},
		{[]string{"compare", "--grids", "--method", "lut", a, b}, `"lut"`},
	} {
		if _, stderr, ok := run(t, c.args...); ok || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: ok=%v stderr=%q, want one line with %q", c.args, ok, stderr, c.want)
		}
	}
}

// TestCompareArms: arms codesign (HV 0.5 and 0.2 at seeds 0 and 1) and 32x32 (0.4 and 0.4) have
// geometric means √0.1 = 0.316228 and 0.4, so 32x32 is 1.264911× the lowest; seed 0's lowest is
// 32x32 (codesign 1.25×), seed 1's codesign (32x32 2×). Against the lowest other arm codesign is
// 0.790569× and 32x32 1.264911×; codesign resamples to 0.2, √0.1 or 0.5 with probabilities ¼, ½, ¼
// and 32x32 has no spread, so codesign's ratio is 0.5, 0.79 or 1.25 (within 1.10× in ¾ of draws) and
// 32x32's 2, 1.26 or 0.8 (within in ¼). Two runs of one arm and seed, and a margin of 0, are refused.
func TestCompareArms(t *testing.T) {
	dir := t.TempDir()
	writeRunResult(t, dir, "codesign-s0", "systolic", 1, 0.90, 0.05)
	writeRunResult(t, dir, "codesign-s1", "systolic", 1, 0.90, 0.02)
	writeRunResult(t, dir, "32x32-s0", "systolic", 1, 0.80, 0.02)
	writeRunResult(t, dir, "32x32-s1", "systolic", 1, 0.90, 0.04)
	runs := filepath.Join(dir, "runs")
	args := []string{"compare", "--arms", "--json"}
	for _, n := range []string{"codesign-s0", "codesign-s1", "32x32-s0", "32x32-s1"} {
		args = append(args, filepath.Join(runs, n))
	}
	stdout, stderr, ok := run(t, args...)
	if !ok {
		t.Fatalf("compare --arms failed: %s", stderr)
	}
	var got struct {
		Arms []struct {
			Arm          string    `json:"arm"`
			Seeds        []string  `json:"seeds"`
			GeoMeanHV    float64   `json:"geomean_hypervolume"`
			GeoMeanRatio float64   `json:"geomean_ratio"`
			HVs          []float64 `json:"hypervolumes"`
			Against      struct {
				Ratio float64    `json:"ratio_to_lowest_other"`
				CI95  [2]float64 `json:"ratio_ci95"`
				Share float64    `json:"share_within"`
			} `json:"against_lowest_other"`
		} `json:"arms"`
		Seeds []struct {
			Seed   string             `json:"seed"`
			Ratio  map[string]float64 `json:"ratio"`
			Lowest string             `json:"lowest_arm"`
		} `json:"seeds"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if len(got.Arms) != 2 || got.Arms[0].Arm != "codesign" || !near(got.Arms[0].GeoMeanHV, math.Sqrt(0.1)) ||
		!near(got.Arms[0].GeoMeanRatio, 1) || got.Arms[1].Arm != "32x32" || !near(got.Arms[1].GeoMeanHV, 0.4) ||
		!near(got.Arms[1].GeoMeanRatio, 0.4/math.Sqrt(0.1)) || strings.Join(got.Arms[1].Seeds, ",") != "0,1" {
		t.Errorf("arms = %+v", got.Arms)
	}
	if a := got.Arms[0].Against; !near(a.Ratio, math.Sqrt(0.1)/0.4) || !near(a.CI95[0], 0.2/0.4) || !near(a.CI95[1], 0.5/0.4) || math.Abs(a.Share-0.75) > 0.05 {
		t.Errorf("codesign against 32x32 = %+v", a)
	}
	if a := got.Arms[1].Against; !near(a.Ratio, 0.4/math.Sqrt(0.1)) || !near(a.CI95[0], 0.4/0.5) || !near(a.CI95[1], 0.4/0.2) || math.Abs(a.Share-0.25) > 0.05 {
		t.Errorf("32x32 against codesign = %+v", a)
	}
	if len(got.Seeds) != 2 || got.Seeds[0].Lowest != "32x32" || !near(got.Seeds[0].Ratio["codesign"], 1.25) ||
		got.Seeds[1].Lowest != "codesign" || !near(got.Seeds[1].Ratio["32x32"], 2) {
		t.Errorf("seeds = %+v", got.Seeds)
	}
	table, _, ok := run(t, append([]string{"compare", "--arms"}, args[3:]...)...)
	if !ok || !strings.Contains(table, "| 32x32 | 2 | 0.4000 | 1.265 | 1.265 (0.80–2.00) | 24% |") || !strings.Contains(table, "| 0 | 0.5000 (1.250×) | 0.4000 (1.000×) | 32x32 |") {
		t.Errorf("table:\n%s", table)
	}
	other := t.TempDir()
	writeRunResult(t, other, "codesign-s0", "systolic", 1, 0.90, 0.05)
	if _, stderr, ok := run(t, "compare", "--arms", filepath.Join(runs, "codesign-s0"), filepath.Join(other, "runs", "codesign-s0")); ok ||
		!strings.Contains(stderr, `arm "codesign" has two runs of seed "0"`) {
		t.Errorf("duplicate arm and seed: ok=%v stderr=%q", ok, stderr)
	}
	if _, stderr, ok := run(t, append([]string{"compare", "--arms", "--within", "0"}, args[3:]...)...); ok ||
		!strings.Contains(stderr, "flag --within") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("--within 0: ok=%v stderr=%q", ok, stderr)
	}
	// A flag of the other mode is refused, not ignored.
	for _, c := range [][]string{{"--within", "1.2"}, {"--method", "fbnet"}} {
		if _, stderr, ok := run(t, append(append([]string{"compare"}, c...), args[3:]...)...); ok ||
			!strings.Contains(stderr, "flag "+c[0]) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v without its mode: ok=%v stderr=%q", c, ok, stderr)
		}
	}
}

// TestCompareSVG: --svg plots every run at (simulated µs, accuracy %), grouped by arm under --arms;
// --ratio-svg plots each arm's ratio to its seed's lowest (TestCompareArms' runs: codesign 1.25 and 1
// at seeds 0 and 1, 32x32 1 and 2). Both files are SVG documents naming the arms; the flags are
// refused where they would plot nothing.
func TestCompareSVG(t *testing.T) {
	rows := []compareRow{
		{Dir: "runs/codesign-s0", Run: experiment.Run{TestAccuracy: 0.90, SimLatencyMS: 0.05}},
		{Dir: "runs/32x32-s0", Run: experiment.Run{TestAccuracy: 0.80, SimLatencyMS: 0.02}},
		{Dir: "runs/codesign-s1", Run: experiment.Run{TestAccuracy: 0.90, SimLatencyMS: 0.02}},
	}
	byArm := scatterGroups(rows, true)
	if len(byArm) != 2 || byArm[0].Name != "codesign" || len(byArm[0].Points) != 2 || !byArm[0].Front ||
		!near(byArm[0].Points[1].Runtime, 20) || !near(byArm[0].Points[1].Accuracy, 90) || byArm[1].Name != "32x32" {
		t.Errorf("groups by arm = %+v", byArm)
	}
	if byRun := scatterGroups(rows, false); len(byRun) != 3 || byRun[1].Name != "runs/32x32-s0" || byRun[1].Front {
		t.Errorf("groups by run = %+v", byRun)
	}
	seeds := []*compareSeed{
		{Seed: "0", Ratio: map[string]float64{"codesign": 1.25, "32x32": 1}},
		{Seed: "1", Ratio: map[string]float64{"codesign": 1}},
		{Seed: "3", Ratio: map[string]float64{"codesign": 1.5, "32x32": 1}},
	}
	series, err := ratioSeries([]string{"codesign", "32x32"}, seeds)
	if err != nil || len(series) != 2 || !slices.Equal(series[0].X, []float64{0, 1, 3}) || !slices.Equal(series[0].Y, []float64{1.25, 1, 1.5}) ||
		!slices.Equal(series[1].X, []float64{0, 3}) || !slices.Equal(series[1].Y, []float64{1, 1}) {
		t.Errorf("ratio series = %+v, %v", series, err)
	}
	if _, err := ratioSeries([]string{"a"}, []*compareSeed{{Seed: ""}}); err == nil || !strings.Contains(err.Error(), "-s<seed>") {
		t.Errorf("a run without a seed: %v", err)
	}

	dir := t.TempDir()
	var args []string
	for _, n := range []string{"codesign-s0", "codesign-s1", "32x32-s0", "32x32-s1"} {
		writeRunResult(t, dir, n, "systolic", 1, 0.90, 0.05)
		args = append(args, filepath.Join(dir, "runs", n))
	}
	scatter, ratios := filepath.Join(dir, "runs.svg"), filepath.Join(dir, "ratios.svg")
	if _, stderr, ok := run(t, append([]string{"compare", "--arms", "--svg", scatter, "--ratio-svg", ratios}, args...)...); !ok {
		t.Fatalf("compare --arms --svg --ratio-svg: %s", stderr)
	}
	for _, path := range []string{scatter, ratios} {
		doc, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := xml.Unmarshal(doc, new(struct{ XMLName xml.Name })); err != nil || !bytes.HasPrefix(bytes.TrimSpace(doc), []byte("<?xml")) ||
			!bytes.Contains(doc, []byte(">codesign<")) || !bytes.Contains(doc, []byte(">32x32<")) {
			t.Errorf("%s: not an SVG naming both arms (%v)", path, err)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{append([]string{"compare", "--ratio-svg", ratios}, args...), "flag --ratio-svg: plots the seeds of --arms"},
		{[]string{"compare", "--grids", "--svg", scatter, dir, dir}, "flag --svg: plots run directories, not --grids"},
	} {
		if _, stderr, ok := run(t, c.args...); ok || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: ok=%v stderr=%q", c.args[1:3], ok, stderr)
		}
	}
}
