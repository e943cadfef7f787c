package report

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// methods is the fixture of the table tests: a text column, a numeric one, a "mean ± std" one with a
// missing cell, a pipe and markup that each format must escape in its own way.
func methods() *Table {
	return &Table{
		Title:  "Methods <1>",
		Header: []string{"method", "acc (%)", "runtime"},
		Rows: [][]string{
			{"U-Boost", "87.8", "1.05 ± 0.1"},
			{"Black|box", "87.5"},
		},
		Notes: []string{"runtime in ms"},
	}
}

func TestTableText(t *testing.T) {
	// Column widths 9, 7 and 10 runes ("±" is one); the numeric columns are right-aligned and trailing
	// blanks trimmed.
	want := "Methods <1>\n" +
		"method     acc (%)     runtime\n" +
		"---------  -------  ----------\n" +
		"U-Boost       87.8  1.05 ± 0.1\n" +
		"Black|box     87.5\n" +
		"runtime in ms\n"
	var b bytes.Buffer
	if err := methods().WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if b.String() != want {
		t.Errorf("WriteText:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestTableMarkdown(t *testing.T) {
	want := "**Methods <1>**\n\n" +
		"| method | acc (%) | runtime |\n" +
		"|---|---:|---:|\n" +
		"| U-Boost | 87.8 | 1.05 ± 0.1 |\n" +
		"| Black\\|box | 87.5 |  |\n" +
		"\nruntime in ms\n"
	var b bytes.Buffer
	if err := methods().WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	if b.String() != want {
		t.Errorf("WriteMarkdown:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestTableCSV(t *testing.T) {
	want := "method,acc (%),runtime\n" +
		"U-Boost,87.8,1.05 ± 0.1\n" +
		"Black|box,87.5,\n"
	var b bytes.Buffer
	if err := methods().WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	if b.String() != want {
		t.Errorf("WriteCSV:\n%s\nwant:\n%s", b.String(), want)
	}
	// Commas and quotes are quoted as RFC 4180 says.
	b.Reset()
	q := &Table{Header: []string{"a", "b"}, Rows: [][]string{{"x,y", `q"r`}}}
	if err := q.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	if want := "a,b\n\"x,y\",\"q\"\"r\"\n"; b.String() != want {
		t.Errorf("quoted CSV = %q, want %q", b.String(), want)
	}
}

func TestTableHTML(t *testing.T) {
	want := `<table><caption>Methods &lt;1&gt;</caption>` +
		`<thead><tr><th>method</th><th class="num">acc (%)</th><th class="num">runtime</th></tr></thead>` + "\n" +
		`<tbody><tr><td>U-Boost</td><td class="num">87.8</td><td class="num">1.05 ± 0.1</td></tr>` + "\n" +
		`<tr><td>Black|box</td><td class="num">87.5</td><td class="num"></td></tr>` + "\n" +
		`</tbody></table>` + "\n" +
		`<p class="note">runtime in ms</p>`
	if got := string(methods().HTML()); got != want {
		t.Errorf("HTML:\n%s\nwant:\n%s", got, want)
	}
}

func TestTableLineBreaksStayInCell(t *testing.T) {
	tb := &Table{Header: []string{"a"}, Rows: [][]string{{"one\ntwo"}}}
	var b bytes.Buffer
	if err := tb.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if want := "a\n-------\none two\n"; b.String() != want {
		t.Errorf("WriteText = %q, want %q", b.String(), want)
	}
}

func TestLooksNumeric(t *testing.T) {
	for s, want := range map[string]bool{
		"87.8": true, "-3": true, "1.05 ± 0.1": true, "91.1%": true, "3.3×": true, "1.80G": true,
		"1,234": true, "conv": false, "3136×576×64": false, "": false, "λ=0.1": false,
	} {
		if got := looksNumeric(s); got != want {
			t.Errorf("looksNumeric(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestFormat(t *testing.T) {
	// Mean of 1, 2, 3 is 2; sample variance ((1)² + 0 + (1)²)/(3−1) = 1, so std 1.
	m, s := MeanStd([]float64{1, 2, 3})
	if m != 2 || s != 1 {
		t.Errorf("MeanStd = %g, %g, want 2, 1", m, s)
	}
	if m, s := MeanStd([]float64{7}); m != 7 || s != 0 {
		t.Errorf("MeanStd of one = %g, %g, want 7, 0", m, s)
	}
	if m, s := MeanStd(nil); !math.IsNaN(m) || !math.IsNaN(s) {
		t.Errorf("MeanStd of none = %g, %g, want NaN, NaN", m, s)
	}
	cases := []struct{ got, want string }{
		{FormatMeanStd([]float64{1, 2, 3}, 2), "2.00 ± 1.00"},
		{FormatMeanStd([]float64{87.8}, 1), "87.8"},
		{FormatMeanStd(nil, 1), Missing},
		{Fixed(2.345, 1), "2.3"},
		{Fixed(math.NaN(), 1), Missing},
		{Percent(0.911, 1), "91.1%"},
		{Percent(0.8765, 1), "87.6%"}, // 0.8765·100 is 87.6499… in binary, so it rounds down
		{Percent(math.Inf(1), 1), Missing},
		{SI(1.814073344e9, 2), "1.81G"},
		{SI(512, 0), "512"},
		{SI(11689512, 1), "11.7M"},
		{SI(-2500, 1), "-2.5k"},
		{SI(999999, 1), "1.0M"}, // 999.999k would print as "1000.0k"
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: got %q, want %q", i, c.got, c.want)
		}
	}
	if !strings.HasSuffix(Percent(0.5, 0), "%") {
		t.Error("Percent lacks its sign")
	}
}

func TestTableJSON(t *testing.T) {
	want := `{"title":"Methods <1>","header":["method","acc (%)","runtime"],` +
		`"rows":[["U-Boost","87.8","1.05 ± 0.1"],["Black|box","87.5"]],"notes":["runtime in ms"]}` + "\n"
	var b bytes.Buffer
	if err := methods().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if b.String() != want {
		t.Errorf("WriteJSON:\n%s\nwant:\n%s", b.String(), want)
	}
}
