package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"
)

// decodeStrict reads one JSON object whose members are all strings (or
// null, meaning not given) named in fields, storing each through its pointer.
// Keys are matched exactly and each may appear once: encoding/json would
// match them whatever their case and let a repeated key win.
//
// encoding/json checks the syntax; the walk over the object that follows
// relies on it and reads the members in order, unquoting through
// encoding/json whatever is escaped or not valid UTF-8. Nothing is stored
// unless the whole object is acceptable.
func decodeStrict(body io.Reader, fields map[string]*string) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: invalid JSON: "+format, append([]any{errBadRequest}, args...)...)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return readErr(err, bad)
	}
	if !json.Valid(b) {
		var v any
		return readErr(json.Unmarshal(b, &v), bad) // for the syntax error's words
	}
	b = bytes.TrimLeft(b, " \t\r\n")
	if b[0] != '{' {
		return bad("the body must be a JSON object")
	}
	type member struct {
		to    *string
		value []byte // quoted; nil for null
	}
	var got [8]member
	members := got[:0]
	for i := 1; ; {
		i = skipSpace(b, i)
		switch b[i] {
		case '}':
			for _, m := range members {
				if m.value != nil {
					*m.to = unquote(m.value)
				}
			}
			return nil
		case ',':
			i = skipSpace(b, i+1)
		}
		key := quoted(b, i)
		to, ok := field(fields, key)
		if !ok {
			return bad("unknown field %q", unquote(key))
		}
		if slices.ContainsFunc(members, func(m member) bool { return m.to == to }) {
			return bad("field %q given twice", unquote(key))
		}
		i = skipSpace(b, i+len(key))
		i = skipSpace(b, i+1) // the colon
		m := member{to: to}
		switch b[i] {
		case '"':
			m.value = quoted(b, i)
			i += len(m.value)
		case 'n':
			i += len("null")
		default:
			return bad("field %q must be a string", unquote(key))
		}
		members = append(members, m)
	}
}

// skipSpace returns the index of the first byte of b at or after i that
// is not JSON white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// quoted returns the JSON string that starts at b[i], quotes included; b is
// valid JSON.
func quoted(b []byte, i int) []byte {
	j := i + 1
	for b[j] != '"' {
		if b[j] == '\\' {
			j++
		}
		j++
	}
	return b[i : j+1]
}

// field looks up the quoted key q in fields, without copying it when it
// needs no unquoting.
func field(fields map[string]*string, q []byte) (*string, bool) {
	if s := q[1 : len(q)-1]; plain(s) {
		to, ok := fields[string(s)]
		return to, ok
	}
	to, ok := fields[unquote(q)]
	return to, ok
}

// plain reports whether the inside of a JSON string is its text as it is.
func plain(s []byte) bool {
	return bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s)
}

// unquote returns the text of a JSON string taken from valid JSON.
func unquote(q []byte) string {
	if s := q[1 : len(q)-1]; plain(s) {
		return string(s)
	}
	var s string
	_ = json.Unmarshal(q, &s) // cannot fail: q is a string of valid JSON
	return s
}
