package admin

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// saveAsUTF8 is how a spreadsheet is told to save a regions file.
const saveAsUTF8 = `save it as "CSV UTF-8 (Comma delimited)"`

// parseRegions reads a campaign's regions from a CSV file as
// pledge.ParseRegionsCSV does, and on top of its rules refuses what
// spreadsheets make of a file saved the wrong way: a header with
// semicolons or tabs between its columns is named as such, and a name
// made only of question marks (Excel's "CSV (Comma delimited)" turns
// Devanagari into them) is refused with how to save the file instead.
// Problems are a *pledge.RegionsCSVError.
func parseRegions(r io.Reader, langs []string) ([]pledge.Region, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read regions file: %w", err)
	}
	regions, err := pledge.ParseRegionsCSV(bytes.NewReader(data), langs)
	var rerr *pledge.RegionsCSVError
	if err != nil && !errors.As(err, &rerr) {
		return nil, err
	}
	var probs []pledge.RegionLineError
	if rerr != nil {
		probs = explainSeparator(data, rerr.Problems)
	}
	probs = append(probs, lostLetters(data)...)
	if len(probs) == 0 {
		return regions, nil
	}
	sortLineProblems(probs)
	return nil, &pledge.RegionsCSVError{Problems: probs}
}

// explainSeparator replaces the header's problems (line 1) with one that
// says why, when the header line has semicolons or tabs and no comma: the
// file was saved with another separator, and the header reads as one
// column.
func explainSeparator(data []byte, probs []pledge.RegionLineError) []pledge.RegionLineError {
	line, _, _ := bytes.Cut(bytes.TrimPrefix(data, []byte("\ufeff")), []byte("\n"))
	if bytes.ContainsRune(line, ',') {
		return probs
	}
	var sep string
	switch {
	case bytes.ContainsRune(line, ';'):
		sep = "semicolons"
	case bytes.ContainsRune(line, '\t'):
		sep = "tabs"
	default:
		return probs
	}
	out := []pledge.RegionLineError{{Line: 1, Msg: fmt.Sprintf(
		"the header must start with code,parent, but the file uses %s between columns; %s", sep, saveAsUTF8)}}
	for _, p := range probs {
		if p.Line != 1 {
			out = append(out, p)
		}
	}
	return out
}

// lostLetters lists the lines of a regions file whose name (in any
// name_<language> column) is made only of question marks and spaces: the
// letters a spreadsheet could not write in the file's encoding. A file
// that is not valid CSV, or whose header names no name column, gives none;
// ParseRegionsCSV reports it.
func lostLetters(data []byte) []pledge.RegionLineError {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	names := map[int]string{} // column -> language
	for i, h := range header {
		if lang, ok := strings.CutPrefix(strings.ToLower(strings.TrimSpace(h)), "name_"); ok && lang != "" {
			names[i] = lang
		}
	}
	var probs []pledge.RegionLineError
	for {
		rec, err := cr.Read()
		if err != nil {
			break
		}
		line, _ := cr.FieldPos(0)
		for i := range rec {
			lang, ok := names[i]
			if !ok || !onlyQuestionMarks(rec[i]) {
				continue
			}
			probs = append(probs, pledge.RegionLineError{Line: line, Msg: fmt.Sprintf(
				"the name in %s is only question marks (%q): the file lost its letters when it was saved; %s and upload it again",
				lang, strings.TrimSpace(rec[i]), saveAsUTF8)})
		}
	}
	return probs
}

// onlyQuestionMarks reports whether s has a '?' and nothing but '?' and
// spaces.
func onlyQuestionMarks(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && strings.Trim(s, "? ") == ""
}

// sortLineProblems orders problems by line, keeping the order within a
// line.
func sortLineProblems(p []pledge.RegionLineError) {
	slices.SortStableFunc(p, func(a, b pledge.RegionLineError) int { return cmp.Compare(a.Line, b.Line) })
}
