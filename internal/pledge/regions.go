package pledge

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// maxRegionRows bounds the regions one CSV file may define.
const maxRegionRows = 10000

// RegionLineError is one problem of a regions CSV file, at a line (1 is the
// header; 0: the file as a whole).
type RegionLineError struct {
	Line int
	Msg  string
}

func (e RegionLineError) String() string {
	if e.Line == 0 {
		return e.Msg
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

// RegionsCSVError lists every problem of a regions CSV file.
type RegionsCSVError struct {
	Problems []RegionLineError
}

func (e *RegionsCSVError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "regions CSV: " + strings.Join(parts, "; ")
}

// ParseRegionsCSV reads a campaign's regions from CSV with the header
// code,parent,name_<lang>... (one name column for each of langs, in any
// order; e.g. code,parent,name_en,name_hi). Column names are matched
// whatever their case and with spaces around them trimmed; columns with an
// empty name, as a spreadsheet saves beside its data, and the name columns
// of other languages are left alone as long as they are empty, and so are
// rows with nothing in them. A row with an empty parent is a top-level
// region; regions have at most two levels. What a spreadsheet makes of a
// file saved the wrong way is named as such: a header separated by
// semicolons or tabs, a name made only of question marks (letters its
// code page lacks). On any problem it returns a *RegionsCSVError listing
// every bad line with its number.
func ParseRegionsCSV(r io.Reader, langs []string) ([]Region, error) {
	br := bufio.NewReader(r)
	start, _ := br.Peek(64)
	switch {
	case workbook(start):
		return nil, &RegionsCSVError{Problems: []RegionLineError{{Line: 1, Msg: "the file is a spreadsheet workbook (.xlsx, .xls or .ods), " +
			"not CSV; open it in the spreadsheet, " + saveAsUTF8 + " and upload that file"}}}
	case utf16Text(start):
		return nil, &RegionsCSVError{Problems: []RegionLineError{{Line: 1, Msg: "the file is saved as Unicode Text (UTF-16), " +
			"which this import does not read; " + saveAsUTF8 + " and upload it again"}}}
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // counted here, so every bad line is reported
	var probs []RegionLineError
	bad := func(line int, format string, args ...any) {
		probs = append(probs, RegionLineError{Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &RegionsCSVError{Problems: []RegionLineError{{Msg: "the file is empty"}}}
	}
	if err != nil {
		return nil, &RegionsCSVError{Problems: []RegionLineError{{Line: csvLine(err, 1), Msg: csvMsg(err)}}}
	}
	cols := regionHeader(header, langs, bad)
	if len(probs) > 0 {
		if sep := separator(header); sep != "" {
			// Saved with another separator, the header reads as one column.
			probs = []RegionLineError{{Line: 1, Msg: fmt.Sprintf(
				"the header must start with code,parent, but the file uses %s between columns; %s", sep, saveAsUTF8)}}
		}
		return nil, &RegionsCSVError{Problems: probs}
	}

	var rows []lineRegion
	first := make(map[string]lineRegion) // foldCase(code) -> the region first defined with it
	held := make(map[int]bool)           // columns read for nothing reported holding a value
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A CSV syntax error leaves the reader's position unreliable.
			bad(csvLine(err, 0), "%s", csvMsg(err))
			break
		}
		line, _ := cr.FieldPos(0)
		if len(rows) >= maxRegionRows {
			bad(line, "too many regions: at most %d", maxRegionRows)
			break
		}
		if blankRow(rec) {
			continue // a blank line, or a spreadsheet's empty row: ,,,
		}
		if !cols.fits(rec) {
			bad(line, "%s, %s", columns(len(rec)), cols.want())
			continue
		}
		for _, col := range cols.empty {
			if v := field(rec, col.i); v != "" && !held[col.i] {
				held[col.i] = true
				bad(line, "%s", col.holding(v))
			}
		}
		reg := Region{Code: strings.TrimSpace(rec[0]), Parent: strings.TrimSpace(rec[1]), Name: Text{}}
		ok := true
		switch {
		case reg.Code == "":
			bad(line, "the code is empty")
			ok = false
		case len(reg.Code) > 32 || !utf8.ValidString(reg.Code):
			bad(line, "code %q: codes have 1-32 characters", clipField(reg.Code))
			ok = false
		case !plainCode(reg.Code):
			bad(line, "code %q has control characters or characters that change the direction of text", clipField(reg.Code))
			ok = false
		}
		if !utf8.ValidString(reg.Parent) || len(reg.Parent) > 32 || !plainCode(reg.Parent) {
			bad(line, "parent %q is not a valid code", clipField(reg.Parent))
			ok = false
		}
		for _, l := range langs {
			name := strings.TrimSpace(rec[cols.name[l]])
			if !utf8.ValidString(name) {
				bad(line, "the name in %s is not valid UTF-8", l)
				ok = false
				continue
			}
			name = norm.NFC.String(name)
			if name == "" {
				bad(line, "the name in %s is missing", l)
				ok = false
			}
			if onlyQuestionMarks(name) {
				// Excel's "CSV (Comma delimited)" writes what its code page
				// lacks, Devanagari among it, as question marks.
				bad(line, "the name in %s is only question marks (%q): the file lost its letters when it was saved; %s and upload it again",
					l, name, saveAsUTF8)
			}
			// As Campaign.Problems checks it, so a file that parses makes
			// a campaign that validates.
			for _, p := range regionNameRule.problems(name) {
				bad(line, "%s in %s %s", regionNameRule.name, l, p)
				ok = false
			}
			reg.Name[l] = name
		}
		if !ok {
			continue
		}
		if other, dup := first[foldCase(reg.Code)]; dup {
			if other.r.Code == reg.Code {
				bad(line, "code %s appears twice (first on line %d)", reg.Code, other.line)
			} else {
				bad(line, "code %s differs only in case from code %s on line %d: codes are matched exactly as written, "+
					"so these would be two regions easily taken for one", reg.Code, other.r.Code, other.line)
			}
			continue
		}
		first[foldCase(reg.Code)] = lineRegion{line, reg}
		rows = append(rows, lineRegion{line, reg})
	}
	checkParents(rows, bad)
	checkSiblingNames(rows, langs, bad)
	if len(probs) == 0 && len(rows) == 0 {
		bad(0, "the file has no regions")
	}
	if len(probs) > 0 {
		sortProblems(probs)
		return nil, &RegionsCSVError{Problems: probs}
	}
	out := make([]Region, len(rows))
	for i, rw := range rows {
		out[i] = rw.r
	}
	return out, nil
}

// workbook reports whether a file starting with start is a spreadsheet
// workbook rather than text: a zip archive (.xlsx, .ods) or an OLE2
// compound file (.xls).
func workbook(start []byte) bool {
	return bytes.HasPrefix(start, []byte("PK\x03\x04")) ||
		bytes.HasPrefix(start, []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1})
}

// utf16Text reports whether a file starting with start is UTF-16 text, as
// Excel's "Unicode Text" saves it: a UTF-16 byte-order mark, or the zero
// bytes every ASCII letter has in it. No CSV has a zero byte.
func utf16Text(start []byte) bool {
	return bytes.HasPrefix(start, []byte{0xff, 0xfe}) || bytes.HasPrefix(start, []byte{0xfe, 0xff}) ||
		bytes.IndexByte(start, 0) >= 0
}

// saveAsUTF8 is how a spreadsheet is told to save a regions file.
const saveAsUTF8 = `save it as "CSV UTF-8 (Comma delimited)"`

// separator names what separates a header read as one column, when it is
// semicolons or tabs rather than commas: "semicolons", "tabs" or "".
func separator(header []string) string {
	switch {
	case len(header) != 1:
		return ""
	case strings.ContainsRune(header[0], ';'):
		return "semicolons"
	case strings.ContainsRune(header[0], '\t'):
		return "tabs"
	}
	return ""
}

// onlyQuestionMarks reports whether s has a '?' and nothing but '?' and
// spaces.
func onlyQuestionMarks(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && strings.Trim(s, "? ") == ""
}

// columns says "1 column", "3 columns".
func columns(n int) string {
	if n == 1 {
		return "1 column"
	}
	return fmt.Sprintf("%d columns", n)
}

// field is rec's i-th field, trimmed; "" if it has none.
func field(rec []string, i int) string {
	if i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// blankRow reports whether every field of rec is empty or spaces.
func blankRow(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sortProblems orders problems by line, keeping the order within a line.
func sortProblems(p []RegionLineError) {
	slices.SortStableFunc(p, func(a, b RegionLineError) int { return cmp.Compare(a.Line, b.Line) })
}

func csvLine(err error, fallback int) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Line
	}
	return fallback
}

func csvMsg(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return "not valid CSV: " + pe.Err.Error()
	}
	return "could not be read: " + err.Error()
}

// clipField shortens a value quoted in an error message.
func clipField(s string) string {
	if len(s) > 40 {
		i := 40
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		return s[:i] + "…"
	}
	return s
}
