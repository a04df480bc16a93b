package kernelext

import (
	"fmt"
	"html"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
)

// ShowTable displays a table: as an HTML table in a notebook, as Markdown text on
// standard output elsewhere. Rows shorter than the widest row or the header are padded
// with empty cells; see MarkdownTable and HTMLTable.
func ShowTable(headers []string, rows [][]string) {
	if gonbui.IsNotebook {
		gonbui.DisplayHTML(HTMLTable(headers, rows))
		gonbui.Sync()
		return
	}
	fmt.Fprint(stdout, MarkdownTable(headers, rows))
}

// tableWidth is the number of columns needed to hold the header and every row.
func tableWidth(headers []string, rows [][]string) int {
	n := len(headers)
	for _, r := range rows {
		n = max(n, len(r))
	}
	return n
}

// cell returns row[i], or "" past the end of a short row.
func cell(row []string, i int) string {
	if i < len(row) {
		return row[i]
	}
	return ""
}

// markdownCell makes s safe inside one Markdown table cell: pipes are escaped and line
// breaks become <br> so a cell never splits the row.
func markdownCell(s string) string {
	s = strings.ReplaceAll(s, `|`, `\|`)
	s = strings.ReplaceAll(s, "\r\n", "<br>")
	s = strings.ReplaceAll(s, "\n", "<br>")
	return strings.TrimSpace(s)
}

// MarkdownTable renders a GitHub-flavoured Markdown table ending in a newline, with
// columns padded to equal width so it also reads well as plain text. A nil or empty
// header gives empty header cells, since Markdown tables need a header row; a table
// with no columns at all renders as "".
func MarkdownTable(headers []string, rows [][]string) string {
	n := tableWidth(headers, rows)
	if n == 0 {
		return ""
	}
	all := make([][]string, 0, len(rows)+1)
	for _, r := range append([][]string{headers}, rows...) {
		line := make([]string, n)
		for i := range line {
			line[i] = markdownCell(cell(r, i))
		}
		all = append(all, line)
	}
	widths := make([]int, n)
	for i := range widths {
		widths[i] = 3 // the "---" separator needs at least three dashes
		for _, line := range all {
			widths[i] = max(widths[i], len([]rune(line[i])))
		}
	}
	var b strings.Builder
	writeRow := func(line []string) {
		b.WriteString("|")
		for i, c := range line {
			b.WriteString(" ")
			b.WriteString(c)
			b.WriteString(strings.Repeat(" ", widths[i]-len([]rune(c))))
			b.WriteString(" |")
		}
		b.WriteString("\n")
	}
	writeRow(all[0])
	b.WriteString("|")
	for _, w := range widths {
		b.WriteString(" " + strings.Repeat("-", w) + " |")
	}
	b.WriteString("\n")
	for _, line := range all[1:] {
		writeRow(line)
	}
	return b.String()
}

// HTMLTable renders an HTML <table> with a <thead> for the headers (omitted when there
// are none) and one <tr> per row. Cell text is HTML-escaped.
func HTMLTable(headers []string, rows [][]string) string {
	n := tableWidth(headers, rows)
	var b strings.Builder
	b.WriteString("<table>\n")
	if len(headers) > 0 {
		b.WriteString("<thead><tr>")
		for i := range n {
			b.WriteString("<th>" + html.EscapeString(cell(headers, i)) + "</th>")
		}
		b.WriteString("</tr></thead>\n")
	}
	b.WriteString("<tbody>\n")
	for _, r := range rows {
		b.WriteString("<tr>")
		for i := range n {
			b.WriteString("<td>" + html.EscapeString(cell(r, i)) + "</td>")
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n")
	return b.String()
}
