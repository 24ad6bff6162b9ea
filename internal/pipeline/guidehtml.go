package pipeline

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"strings"

	"github.com/patchline/patchline"
	"github.com/patchline/patchline/internal/lazyre"
	"github.com/patchline/patchline/internal/textsafe"
)

// GuideHTMLTemplate is the page `patchline guide --html` writes around a
// bundle's guide. It is always the built-in one: a customer has the bundle,
// not the product's repository.
const GuideHTMLTemplate = "install-guide.html.tmpl"

// Block is one block of a guide's Markdown: a heading (Level 1-6), a
// paragraph, a list, a fenced code block or a table.
type Block struct {
	Kind  string // heading, p, ul, ol, pre, table
	Level int    // of a heading
	Spans []Span // of a heading or paragraph
	Items [][]Span
	Lang  string // of a code block
	Text  string // of a code block
	Head  [][]Span
	Rows  [][][]Span
}

// Span is a run of inline text: plain, `code` or **strong**.
type Span struct {
	Kind string // "", code or strong
	Text string
}

var (
	headingRE   = lazyre.New(`^(#{1,6})[ \t]+(.*?)[ \t#]*$`)
	bulletRE    = lazyre.New(`^[-*+][ \t]+(.*)$`)
	orderedRE   = lazyre.New(`^\d{1,9}[.)][ \t]+(.*)$`)
	separatorRE = lazyre.New(`^\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$`)
)

// ParseGuide reads the Markdown patchline's guides are written in:
// headings, paragraphs, flat lists (a list item's indented lines continue
// it), fenced code blocks, tables, and inline `code` and **strong**.
// Anything else is text. It never fails: an unclosed fence runs to the end.
func ParseGuide(md string) []Block {
	var blocks []Block
	var para []string
	var list *Block
	flush := func() {
		if len(para) > 0 {
			blocks = append(blocks, Block{Kind: "p", Spans: inline(strings.Join(para, " "))})
			para = nil
		}
		if list != nil {
			blocks = append(blocks, *list)
			list = nil
		}
	}
	lines := strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		if list != nil && trimmed != "" && (line[0] == ' ' || line[0] == '\t') && !strings.HasPrefix(trimmed, "```") {
			last := &list.Items[len(list.Items)-1]
			*last = append(*last, Span{Text: " "})
			*last = append(*last, inline(trimmed)...)
			continue
		}
		heading, bullet, ordered := headingRE.FindStringSubmatch(trimmed), bulletRE.FindStringSubmatch(trimmed), orderedRE.FindStringSubmatch(trimmed)
		switch {
		case trimmed == "":
			flush()
		case strings.HasPrefix(trimmed, "```"):
			flush()
			var code []string
			for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
				code = append(code, lines[i])
			}
			blocks = append(blocks, Block{Kind: "pre", Lang: strings.TrimSpace(strings.TrimPrefix(trimmed, "```")), Text: strings.Join(code, "\n")})
		case heading != nil:
			flush()
			blocks = append(blocks, Block{Kind: "heading", Level: len(heading[1]), Spans: inline(heading[2])})
		case strings.HasPrefix(trimmed, "|"):
			flush()
			var rows [][][]Span
			for ; i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "|"); i++ {
				rows = append(rows, cells(strings.TrimSpace(lines[i])))
			}
			i--
			t := Block{Kind: "table", Rows: rows}
			if len(rows) > 1 && separatorRE.MatchString(strings.TrimSpace(lines[i-len(rows)+2])) {
				t.Head, t.Rows = rows[0], rows[2:]
			}
			blocks = append(blocks, t)
		case bullet != nil || ordered != nil:
			kind, text := "ul", ""
			if bullet != nil {
				text = bullet[1]
			} else {
				kind, text = "ol", ordered[1]
			}
			if list == nil || list.Kind != kind || len(para) > 0 {
				flush()
				list = &Block{Kind: kind}
			}
			list.Items = append(list.Items, inline(text))
		default:
			if list != nil {
				flush()
			}
			para = append(para, trimmed)
		}
	}
	flush()
	return blocks
}

// cells splits a table row into its cells.
func cells(row string) [][]Span {
	row = strings.TrimSuffix(strings.TrimPrefix(row, "|"), "|")
	var out [][]Span
	for _, c := range strings.Split(row, "|") {
		out = append(out, inline(strings.TrimSpace(c)))
	}
	return out
}

// inline splits text into plain, `code` and **strong** runs; a marker
// without its closing twin is text.
func inline(s string) []Span {
	var out []Span
	plain := func(t string) {
		if t == "" {
			return
		}
		if n := len(out); n > 0 && out[n-1].Kind == "" {
			out[n-1].Text += t
			return
		}
		out = append(out, Span{Text: t})
	}
	for s != "" {
		i := strings.IndexAny(s, "`*")
		if i < 0 {
			plain(s)
			break
		}
		plain(s[:i])
		s = s[i:]
		marker, kind := "`", "code"
		if s[0] == '*' {
			marker, kind = "**", "strong"
		}
		if !strings.HasPrefix(s, marker) {
			plain(s[:1])
			s = s[1:]
			continue
		}
		end := strings.Index(s[len(marker):], marker)
		if end <= 0 {
			plain(s[:len(marker)])
			s = s[len(marker):]
			continue
		}
		out = append(out, Span{Kind: kind, Text: s[len(marker) : len(marker)+end]})
		s = s[len(marker)+end+len(marker):]
	}
	return out
}

// GuideHTML writes a guide as one self-contained HTML page: no scripts,
// styles or images from elsewhere, every text escaped by html/template,
// and no raw control character (textsafe, as for the terminal).
func GuideHTML(md string) ([]byte, error) {
	text, err := patchline.Template("", GuideHTMLTemplate)
	if err != nil {
		return nil, err
	}
	t, err := htmltemplate.New(GuideHTMLTemplate).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrGuideTemplate, err)
	}
	blocks := ParseGuide(textsafe.Text(md))
	title := "Installation guide"
	for _, b := range blocks {
		if b.Kind == "heading" && b.Level == 1 {
			var parts []string
			for _, s := range b.Spans {
				parts = append(parts, s.Text)
			}
			title = strings.Join(parts, "")
			break
		}
	}
	var b bytes.Buffer
	if err := t.Execute(&b, struct {
		Title  string
		Blocks []Block
	}{title, blocks}); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrGuideTemplate, err)
	}
	return b.Bytes(), nil
}
