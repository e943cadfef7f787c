package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"
)

// Page is one self-contained HTML report (a run's report.html): a title and sections, with the CSS
// inline and every plot inline as SVG, so the file can be mailed or archived alone.
type Page struct {
	Title    string
	Sections []Section
}

// Section is one part of a page: a heading, prose (paragraphs separated by blank lines), an optional
// table, any number of SVG figures and an optional preformatted block (a config.json, a command line),
// in that order. SVGs are documents as this package's plot and network functions return them.
type Section struct {
	Heading string
	Text    string
	Table   *Table
	SVGs    [][]byte
	Pre     string
}

// paragraphs splits text at blank lines, dropping empty paragraphs.
func paragraphs(text string) []string {
	var out []string
	for p := range strings.SplitSeq(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// inlineSVG checks that an SVG document is safe and well-formed to paste into the page and returns its
// <svg> element without the XML prolog and leading comments. Because the markup goes into the page
// unescaped, it refuses scripts, foreign HTML, event handlers and links to anything but the document
// itself or an embedded image.
func inlineSVG(doc []byte) (template.HTML, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	start := int64(-1)
	depth := 0
	for {
		off := d.InputOffset()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("not well-formed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if start < 0 {
				if t.Name.Local != "svg" {
					return "", fmt.Errorf("root element is <%s>, want <svg>", t.Name.Local)
				}
				start = off
			} else if depth == 0 {
				return "", errors.New("more than one root element")
			}
			depth++
			switch strings.ToLower(t.Name.Local) {
			case "script", "foreignobject", "iframe", "object", "embed":
				return "", fmt.Errorf("element <%s> is not allowed in a report", t.Name.Local)
			}
			for _, a := range t.Attr {
				name := strings.ToLower(a.Name.Local)
				if strings.HasPrefix(name, "on") {
					return "", fmt.Errorf("attribute %q is not allowed in a report", a.Name.Local)
				}
				if name == "href" && !strings.HasPrefix(a.Value, "#") && !strings.HasPrefix(a.Value, "data:image/") {
					return "", fmt.Errorf("link %q leaves the report", a.Value)
				}
			}
		case xml.EndElement:
			depth--
		case xml.Comment, xml.ProcInst, xml.Directive:
			// Outside the root they are dropped; inside, the page would carry them unchecked.
			if depth > 0 {
				return "", errors.New("comments, processing instructions and directives are not allowed inside <svg>")
			}
		}
	}
	if start < 0 {
		return "", errors.New("no <svg> element")
	}
	// Character data is escaped except in CDATA sections, whose raw markup the checks above never saw.
	if bytes.Contains(doc[start:], []byte("<![CDATA[")) {
		return "", errors.New("CDATA sections are not allowed in a report")
	}
	// The checks above vetted every element and attribute of this markup.
	return template.HTML(bytes.TrimSpace(doc[start:])), nil //nolint:gosec
}

// pageCSS keeps the report readable on screen and in print without external files.
const pageCSS = `body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;border-bottom:2px solid #4a6fa5;padding-bottom:.2em}
h2{font-size:1.25em;margin-top:2em;color:#2c4a75}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}
caption{text-align:left;font-weight:600;padding:.3em 0}
th,td{border-bottom:1px solid #ddd;padding:.25em .7em;text-align:left}
th{background:#eef2f8}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr:hover td{background:#f7f9fc}
p.note{font-size:.85em;color:#555;margin:.2em 0}
figure{margin:1em 0;overflow-x:auto}
figure svg{max-width:100%;height:auto}
pre{background:#f6f8fa;padding:.7em;overflow-x:auto;font-size:.85em}`

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{- range .Sections}}
<section>
{{- with .Heading}}
<h2>{{.}}</h2>
{{- end}}
{{- range .Paragraphs}}
<p>{{.}}</p>
{{- end}}
{{- with .Table}}
{{.}}
{{- end}}
{{- range .SVGs}}
<figure>{{.}}</figure>
{{- end}}
{{- with .Pre}}
<pre>{{.}}</pre>
{{- end}}
</section>
{{- end}}
</body>
</html>
`))

// Write renders the page as one HTML document with html/template (all text escaped). It fails, naming
// the section and figure, if an SVG is not a well-formed, script-free <svg> document.
func (p *Page) Write(w io.Writer) error {
	type section struct {
		Heading    string
		Paragraphs []string
		Table      template.HTML
		SVGs       []template.HTML
		Pre        string
	}
	data := struct {
		Title    string
		CSS      template.CSS
		Sections []section
	}{Title: p.Title, CSS: template.CSS(pageCSS)}
	for i, s := range p.Sections {
		sec := section{Heading: s.Heading, Paragraphs: paragraphs(s.Text), Pre: s.Pre}
		if s.Table != nil {
			sec.Table = s.Table.HTML()
		}
		for j, doc := range s.SVGs {
			svg, err := inlineSVG(doc)
			if err != nil {
				return fmt.Errorf("report %q: section %d (%q): figure %d: %w", p.Title, i+1, s.Heading, j+1, err)
			}
			sec.SVGs = append(sec.SVGs, svg)
		}
		data.Sections = append(data.Sections, sec)
	}
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, data); err != nil {
		return fmt.Errorf("report %q: %w", p.Title, err)
	}
	_, err := w.Write(b.Bytes())
	return err
}
