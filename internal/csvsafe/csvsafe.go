// Package csvsafe guards CSV cells against spreadsheet formula injection,
// for every CSV the portal writes (the admin exports and the public open
// data).
package csvsafe

import "strings"

// BOM is the UTF-8 byte-order mark every CSV the portal writes starts with.
// Spreadsheet programs (Excel above all, which is what district offices
// open downloads with) read a CSV file without it in the computer's legacy
// code page and garble the Devanagari names. Most CSV readers skip it;
// Go's encoding/csv does not (strip it with strings.TrimPrefix).
const BOM = "\ufeff"

// Cell guards a CSV field against formula injection: a spreadsheet would
// run a cell starting with =, +, -, @, tab or carriage return, and exports
// hold text anyone can type (a name, an attempted username), so such a cell
// gets a leading apostrophe.
func Cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
