package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

// htmlDoc is what the tests read back from a page.
type htmlDoc struct {
	elements map[string]int      // element name → count
	texts    map[string][]string // element name → its direct text
}

// parseHTML reads an HTML document with encoding/xml in its lenient HTML mode (void elements such as
// <meta> close themselves) and fails the test if it does not parse.
func parseHTML(t *testing.T, page []byte) htmlDoc {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	out := htmlDoc{elements: map[string]int{}, texts: map[string][]string{}}
	var stack []string
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("page does not parse: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			stack = append(stack, e.Name.Local)
			out.elements[e.Name.Local]++
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				if s := strings.TrimSpace(string(e)); s != "" {
					out.texts[top] = append(out.texts[top], s)
				}
			}
		}
	}
	if len(stack) != 0 {
		t.Errorf("unclosed elements at the end: %v", stack)
	}
	return out
}

func TestPageWrite(t *testing.T) {
	line, err := LinePlot(LineSpec{Frame: Frame{Title: "accuracy"}, Series: []Series{{Name: "val", X: []float64{1, 2}, Y: []float64{0.5, 0.7}}}})
	if err != nil {
		t.Fatal(err)
	}
	drawing, err := NetworkSVG(cellNet(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &Page{
		Title: "run <seed 1>",
		Sections: []Section{
			{Heading: "Summary", Text: "First paragraph.\n\nSecond <script>alert(1)</script> paragraph.\n\n\n", Table: methods()},
			{Heading: "Training", SVGs: [][]byte{line}},
			{Heading: "Architecture", SVGs: [][]byte{drawing}, Pre: `{"lambda": 1, "note": "<b>"}`},
		},
	}
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		t.Fatal(err)
	}
	page := b.Bytes()
	if !bytes.HasPrefix(page, []byte("<!DOCTYPE html>\n")) {
		t.Error("no doctype")
	}
	if bytes.Contains(page, []byte("<script")) || bytes.Contains(page, []byte("<?xml")) {
		t.Error("page holds a script or an XML prolog")
	}
	if !bytes.Contains(page, []byte("Second &lt;script&gt;alert(1)&lt;/script&gt; paragraph.")) {
		t.Error("section text is not escaped")
	}
	if bytes.Contains(page, []byte(`src=`)) || bytes.Contains(page, []byte(`<link`)) {
		t.Error("page refers to external files")
	}
	d := parseHTML(t, page)
	// The page's <title> comes first; the network drawing's tooltips are <title>s too.
	if got := d.texts["title"]; len(got) == 0 || got[0] != "run <seed 1>" {
		t.Errorf("title %q", got)
	}
	if got, want := strings.Join(d.texts["h2"], "|"), "Summary|Training|Architecture"; got != want {
		t.Errorf("headings %q, want %q", got, want)
	}
	// Two paragraphs of text and the table's note.
	if got := d.elements["p"]; got != 3 {
		t.Errorf("%d paragraphs, want 3", got)
	}
	if got := d.texts["pre"]; len(got) != 1 || got[0] != `{"lambda": 1, "note": "<b>"}` {
		t.Errorf("pre %q", got)
	}
	for el, n := range map[string]int{"pre": 1, "section": 3, "table": 1, "figure": 2, "svg": 2, "style": 1, "h1": 1} {
		if d.elements[el] != n {
			t.Errorf("%d <%s>, want %d", d.elements[el], el, n)
		}
	}
	if got := strings.Join(d.texts["td"], ","); !strings.Contains(got, "U-Boost,87.8,1.05 ± 0.1") {
		t.Errorf("table cells %q", got)
	}
}

func TestPageRejectsUnsafeSVG(t *testing.T) {
	cases := map[string]string{
		"script":   `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`,
		"handler":  `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>`,
		"link":     `<svg xmlns="http://www.w3.org/2000/svg"><image href="http://example.com/x.png"/></svg>`,
		"foreign":  `<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div/></foreignObject></svg>`,
		"root":     `<html><body/></html>`,
		"broken":   `<svg xmlns="http://www.w3.org/2000/svg"><g></svg>`,
		"empty":    ``,
		"two svgs": `<svg></svg><svg></svg>`,
		"cdata":    `<svg><text><![CDATA[<script>alert(1)</script>]]></text></svg>`,
		"comment":  `<svg><!-- <script>alert(1)</script> --></svg>`,
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			p := &Page{Title: "r", Sections: []Section{{Heading: "plots", SVGs: [][]byte{[]byte(doc)}}}}
			var b bytes.Buffer
			err := p.Write(&b)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), `section 1 ("plots"): figure 1`) {
				t.Errorf("error %q does not say where", err)
			}
			if b.Len() != 0 {
				t.Error("a failed page still wrote output")
			}
		})
	}
	// A link to the document itself and an embedded image are fine.
	ok := `<svg xmlns="http://www.w3.org/2000/svg"><use href="#a"/><image href="data:image/png;base64,AAAA"/></svg>`
	if _, err := inlineSVG([]byte(ok)); err != nil {
		t.Errorf("safe SVG rejected: %v", err)
	}
}

func TestParagraphs(t *testing.T) {
	got := paragraphs("a\nb\r\n\r\nc\n\n\n  \n d ")
	want := []string{"a\nb", "c", "d"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("paragraphs = %q, want %q", got, want)
	}
}

// FuzzInlineSVG: whatever bytes arrive as a figure, the page check answers without panicking, and what
// it accepts holds no script.
func FuzzInlineSVG(f *testing.F) {
	f.Add([]byte(`<svg xmlns="http://www.w3.org/2000/svg"><text>a</text></svg>`))
	f.Add([]byte(`<?xml version="1.0"?><!-- c --><svg><g><rect/></g></svg>`))
	f.Add([]byte(`<svg><script>x</script></svg>`))
	f.Add([]byte(`<svg onload="x">`))
	f.Add([]byte(`<svg><![CDATA[<script>]]></svg>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		out, err := inlineSVG(doc)
		if err == nil && strings.Contains(strings.ToLower(string(out)), "<script") {
			t.Errorf("accepted a script: %q", out)
		}
	})
}
