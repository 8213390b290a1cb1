// Package csvsafe guards CSV cells against spreadsheet formula injection,
// for every CSV the portal writes (the admin exports and the public open
// data).
package csvsafe

import "strings"

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
