package pledge

import (
	"fmt"
	"strings"
	"unicode"
)

// lineRegion is a region read from a regions CSV file, and its line.
type lineRegion struct {
	line int
	r    Region
}

// checkParents reports, through bad, each region of rows whose parent is
// itself, is not among rows, or has a parent itself: regions have at most
// two levels.
func checkParents(rows []lineRegion, bad func(line int, format string, args ...any)) {
	byCode := make(map[string]Region, len(rows))
	byFold := make(map[string]string, len(rows)) // foldCase(code) -> code
	for _, rw := range rows {
		byCode[rw.r.Code] = rw.r
		byFold[foldCase(rw.r.Code)] = rw.r.Code
	}
	for _, rw := range rows {
		if rw.r.Parent == "" {
			continue
		}
		p, ok := byCode[rw.r.Parent]
		switch {
		case rw.r.Parent == rw.r.Code:
			bad(rw.line, "region %s cannot be its own parent: leave the parent empty for a top-level region", rw.r.Code)
		case !ok && byFold[foldCase(rw.r.Parent)] != "":
			bad(rw.line, "region %s has unknown parent %s: codes are matched exactly as written; %s differs only in case",
				rw.r.Code, clipField(rw.r.Parent), byFold[foldCase(rw.r.Parent)])
		case !ok:
			bad(rw.line, "region %s has unknown parent %s", rw.r.Code, clipField(rw.r.Parent))
		case p.Parent != "":
			bad(rw.line, "region %s: its parent %s has a parent itself; regions have at most two levels", rw.r.Code, p.Code)
		}
	}
}

// checkSiblingNames reports, through bad, each region of rows named in a
// language as a region before it under the same parent (or at the top
// level) is, whatever the case and spacing: citizens choose their region
// among its siblings, and would see the same choice twice.
func checkSiblingNames(rows []lineRegion, langs []string, bad func(line int, format string, args ...any)) {
	first := make(map[string]lineRegion) // parent, language, name -> the region first named so
	for _, rw := range rows {
		for _, l := range langs {
			name := rw.r.Name[l]
			key := rw.r.Parent + "\x00" + l + "\x00" + foldCase(strings.Join(strings.Fields(name), " "))
			other, dup := first[key]
			if !dup {
				first[key] = rw
				continue
			}
			as := ""
			if other.r.Name[l] != name {
				as = fmt.Sprintf(" (%q)", other.r.Name[l])
			}
			where := "both at the top level"
			if rw.r.Parent != "" {
				where = "both under " + rw.r.Parent
			}
			bad(rw.line, "region %s is called %q in %s, as is region %s on line %d%s, %s: citizens could not tell them apart",
				rw.r.Code, name, l, other.r.Code, other.line, as, where)
		}
	}
}

// foldCase returns s with each letter replaced by the least of the letters
// it matches whatever their case: two strings have the same foldCase when
// strings.EqualFold holds for them.
func foldCase(s string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		return least
	}, s)
}
