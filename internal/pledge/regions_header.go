package pledge

import (
	"fmt"
	"strings"
)

// regionColumns is what the header of a regions CSV file says of its
// columns.
type regionColumns struct {
	header []string       // as in the file, for messages
	name   map[string]int // the column of each language's names
	// empty lists the columns read for nothing, each of which must be
	// empty in every row: those whose header is empty (a spreadsheet saves
	// the empty columns next to its data), and the name columns of
	// languages the campaign does not have (a form's header names every
	// language a campaign can have).
	empty []emptyColumn
	// need is the fewest fields a row may have: one past the last column
	// read for something. A spreadsheet may leave out empty fields at the
	// end of a row.
	need int
}

// regionHeader reads the header of a regions CSV file for a campaign in
// langs, reporting its problems through bad. Column names are matched
// whatever their case, and with the spaces around them trimmed.
func regionHeader(header []string, langs []string, bad func(line int, format string, args ...any)) regionColumns {
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	cols := regionColumns{header: header, name: make(map[string]int), need: 2}
	key := func(i int) string { return strings.ToLower(strings.TrimSpace(header[i])) }
	if len(header) < 2 || key(0) != "code" || key(1) != "parent" {
		bad(1, "the header must start with code,parent")
	}
	for i := 2; i < len(header); i++ {
		h := strings.TrimSpace(header[i])
		if h == "" {
			cols.empty = append(cols.empty, emptyColumn{i: i})
			continue
		}
		lang, ok := strings.CutPrefix(key(i), "name_")
		switch {
		case !ok || lang == "":
			bad(1, "unknown column %q: columns after code,parent are name_<language>", clipField(h))
		case !contains(langs, lang):
			cols.empty = append(cols.empty, emptyColumn{i: i, name: h, lang: lang})
		default:
			if _, dup := cols.name[lang]; dup {
				bad(1, "column %q appears twice", clipField(h))
			}
			cols.name[lang] = i
			cols.need = max(cols.need, i+1)
		}
	}
	for _, l := range langs {
		if _, ok := cols.name[l]; !ok {
			bad(1, "column name_%s is missing", l)
		}
	}
	return cols
}

// emptyColumn is a column read for nothing, to be empty in every row.
type emptyColumn struct {
	i          int
	name, lang string // its header and language: none for a column with no name
}

// holding describes the column holding value, for messages.
func (c emptyColumn) holding(value string) string {
	if c.name == "" {
		return fmt.Sprintf("column %d has no name in the header, but holds %q: a column without a name must be empty", c.i+1, clipField(value))
	}
	return fmt.Sprintf("column %s holds a name (%q), but the campaign is not in %s: delete the column, or add %s to the campaign's languages",
		clipField(c.name), clipField(value), clipField(c.lang), clipField(c.lang))
}

// fits reports whether the row rec has the columns the header names: any
// it lacks are columns read for nothing, and any beyond the header's are
// empty.
func (c regionColumns) fits(rec []string) bool {
	if len(rec) < c.need {
		return false
	}
	for _, f := range rec[min(len(rec), len(c.header)):] {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// want describes the number of fields a row may have, for messages.
func (c regionColumns) want() string {
	if c.need == len(c.header) {
		return fmt.Sprintf("want %d (%s)", len(c.header), strings.Join(c.header, ","))
	}
	return fmt.Sprintf("want %d to %d (%s)", c.need, len(c.header), strings.Join(c.header, ","))
}
