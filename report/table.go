package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Table is a titled grid of already formatted cells, with notes that explain it (units, how a figure
// was computed). The same table renders as aligned text for a terminal, Markdown for docs/, CSV and
// JSON for other tools and HTML for report.html. Rows may be shorter than the header; missing cells are empty.
type Table struct {
	Title  string     `json:"title,omitempty"`
	Header []string   `json:"header"`
	Rows   [][]string `json:"rows"`
	Notes  []string   `json:"notes,omitempty"`
}

// columns returns the number of columns: the longest of the header and the rows.
func (t *Table) columns() int {
	n := len(t.Header)
	for _, r := range t.Rows {
		n = max(n, len(r))
	}
	return n
}

// cell returns row[i], or "" past the row's end.
func cell(row []string, i int) string {
	if i < len(row) {
		return row[i]
	}
	return ""
}

// numericColumns reports, per column, whether every non-empty body cell reads as a number; such columns
// are right-aligned so digits line up.
func (t *Table) numericColumns() []bool {
	n := t.columns()
	num := make([]bool, n)
	for i := range n {
		seen := false
		num[i] = true
		for _, r := range t.Rows {
			c := cell(r, i)
			if c == "" {
				continue
			}
			seen = true
			if !looksNumeric(c) {
				num[i] = false
				break
			}
		}
		num[i] = num[i] && seen
	}
	return num
}

// looksNumeric reports whether s is a number as this package formats them: a float, optionally with a
// unit suffix (%, ×, x, an SI prefix) and optionally "mean ± std".
func looksNumeric(s string) bool {
	for part := range strings.SplitSeq(s, "±") {
		p := strings.TrimSpace(part)
		p = strings.TrimRight(p, "%×xkMGTµm ")
		p = strings.ReplaceAll(p, ",", "")
		if _, err := strconv.ParseFloat(p, 64); err != nil {
			return false
		}
	}
	return true
}

// oneLine replaces line breaks so that a cell never breaks a row of a text or Markdown table.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// WriteText writes the table as aligned plain text: the title, the header, a rule of dashes, the rows
// (numeric columns right-aligned, two spaces between columns) and the notes, each line ending in "\n".
func (t *Table) WriteText(w io.Writer) error {
	n := t.columns()
	num := t.numericColumns()
	width := make([]int, n)
	for i := range n {
		width[i] = utf8.RuneCountInString(oneLine(cell(t.Header, i)))
		for _, r := range t.Rows {
			width[i] = max(width[i], utf8.RuneCountInString(oneLine(cell(r, i))))
		}
	}
	var b bytes.Buffer
	line := func(row []string, rule bool) {
		var l strings.Builder
		for i := range n {
			if i > 0 {
				l.WriteString("  ")
			}
			c := oneLine(cell(row, i))
			if rule {
				c = strings.Repeat("-", width[i])
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if num[i] {
				l.WriteString(pad + c)
			} else {
				l.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteByte('\n')
	}
	if t.Title != "" {
		b.WriteString(oneLine(t.Title) + "\n")
	}
	if len(t.Header) > 0 {
		line(t.Header, false)
		line(nil, true)
	}
	for _, r := range t.Rows {
		line(r, false)
	}
	for _, note := range t.Notes {
		b.WriteString(oneLine(note) + "\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

// markdownCell escapes what would break a Markdown table cell: pipes and line breaks.
func markdownCell(s string) string {
	return strings.ReplaceAll(oneLine(s), "|", `\|`)
}

// WriteMarkdown writes the table as a GitHub-flavoured Markdown table: the title in bold on its own
// paragraph, the table (numeric columns right-aligned with "---:"), then each note as a paragraph.
// A table without a header gets an empty one, since Markdown tables need a header row.
func (t *Table) WriteMarkdown(w io.Writer) error {
	n := t.columns()
	num := t.numericColumns()
	var b bytes.Buffer
	if t.Title != "" {
		fmt.Fprintf(&b, "**%s**\n\n", oneLine(t.Title))
	}
	row := func(r []string) {
		b.WriteString("|")
		for i := range n {
			b.WriteString(" " + markdownCell(cell(r, i)) + " |")
		}
		b.WriteByte('\n')
	}
	if n > 0 {
		row(t.Header)
		b.WriteString("|")
		for i := range n {
			if num[i] {
				b.WriteString("---:|")
			} else {
				b.WriteString("---|")
			}
		}
		b.WriteByte('\n')
		for _, r := range t.Rows {
			row(r)
		}
	}
	for _, note := range t.Notes {
		fmt.Fprintf(&b, "\n%s\n", oneLine(note))
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteCSV writes the header and rows as CSV (RFC 4180, via encoding/csv), every row as wide as the
// widest. Title and notes are left out: the CSV is data for other tools, not a document.
func (t *Table) WriteCSV(w io.Writer) error {
	n := t.columns()
	cw := csv.NewWriter(w)
	pad := func(r []string) []string {
		out := make([]string, n)
		copy(out, r)
		return out
	}
	if len(t.Header) > 0 {
		if err := cw.Write(pad(t.Header)); err != nil {
			return err
		}
	}
	for _, r := range t.Rows {
		if err := cw.Write(pad(r)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSON writes the table as one JSON object, {"title", "header", "rows", "notes"}, followed by a
// newline; cells stay the formatted strings the other renderings show, and <, >, & are written as
// they are (the file is data, not HTML).
func (t *Table) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(t)
}

// tableTemplate renders a Table as an HTML table; html/template escapes every cell.
var tableTemplate = template.Must(template.New("table").Parse(
	`<table>{{with .Title}}<caption>{{.}}</caption>{{end}}
{{- if .Header}}<thead><tr>{{range $i, $c := .Header}}<th{{if index $.Num $i}} class="num"{{end}}>{{$c}}</th>{{end}}</tr></thead>{{end}}
<tbody>
{{- range .Rows}}<tr>{{range $i, $c := .}}<td{{if index $.Num $i}} class="num"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</tbody></table>
{{- range .Notes}}
<p class="note">{{.}}</p>
{{- end}}`))

// HTML returns the table as an HTML fragment: a <table> with a <caption>, numeric cells marked
// class="num", then one <p class="note"> per note. All text is escaped.
func (t *Table) HTML() template.HTML {
	n := t.columns()
	pad := func(r []string) []string {
		out := make([]string, n)
		copy(out, r)
		return out
	}
	data := struct {
		Title  string
		Header []string
		Rows   [][]string
		Notes  []string
		Num    []bool
	}{Title: t.Title, Notes: t.Notes, Num: t.numericColumns()}
	if len(t.Header) > 0 {
		data.Header = pad(t.Header)
	}
	for _, r := range t.Rows {
		data.Rows = append(data.Rows, pad(r))
	}
	var b bytes.Buffer
	// Executing a parsed template on this fixed data shape cannot fail short of a bug; an error is
	// rendered visibly rather than returned, so the signature stays usable inside templates.
	if err := tableTemplate.Execute(&b, data); err != nil {
		return template.HTML("<p>" + template.HTMLEscapeString(err.Error()) + "</p>")
	}
	return template.HTML(b.String()) //nolint:gosec // built by html/template, which escaped every cell
}
