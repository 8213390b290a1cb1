package dbcopy

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// kind is how a column is stored in SQLite, and so how its value becomes
// PostgreSQL's. A NULL stays NULL whatever the kind.
type kind int

const (
	plain   kind = iota // integers, text and BLOBs: the same value in both
	text                // TEXT: a string, even if SQLite handed back bytes
	micros              // INTEGER Unix microseconds: timestamptz
	seconds             // INTEGER Unix seconds: timestamptz
	boolean             // INTEGER 0 or 1: boolean
	jsonb               // TEXT holding JSON: jsonb
)

// column is one column of a copied table; both schemas name it alike.
type column struct {
	name string
	kind kind
}

// table is one table the copy carries over, with its columns in both
// schemas. order is the SQLite ORDER BY that reads it in key order.
type table struct {
	name    string
	columns []column
	order   string
	// serial names the bigserial column whose sequence must pass the
	// copied values, if any.
	serial string
}

// tables are the tables copied, in an order that respects the foreign keys
// (campaigns before what references them). Sessions are not copied:
// officers log in again. River's job tables are not copied either (see
// unfinishedJobs).
func tables() []table {
	c := func(name string, k kind) column { return column{name, k} }
	return []table{
		{name: "settings", order: "key", columns: []column{c("key", text), c("value", plain)}},
		{name: "campaigns", order: "id", serial: "id", columns: []column{
			c("id", plain), c("slug", text), c("languages", jsonb), c("title", jsonb), c("pledge_text", jsonb),
			c("email_mode", text), c("opens_at", micros), c("closes_at", micros), c("created_at", micros),
			c("paused", boolean), c("goal", plain), c("certificate_title", jsonb), c("signatory", jsonb),
			c("version", plain), c("region_label", jsonb), c("anonymised_at", micros)}},
		{name: "regions", order: "campaign_id, code", columns: []column{
			c("campaign_id", plain), c("code", text), c("parent", text), c("name", jsonb), c("position", plain)}},
		{name: "campaign_seq", order: "campaign_id", columns: []column{
			c("campaign_id", plain), c("last_number", plain), c("regions_rev", plain)}},
		{name: "region_counts", order: "campaign_id, region", columns: []column{
			c("campaign_id", plain), c("region", text), c("n", plain)}},
		{name: "minute_counts", order: "campaign_id, minute", columns: []column{
			c("campaign_id", plain), c("minute", seconds), c("n", plain)}},
		{name: "invalidations", order: "id", serial: "id", columns: []column{
			c("id", plain), c("campaign_id", plain), c("reason", text), c("actor", text), c("created_at", micros),
			c("filter", text), c("reverted_at", micros), c("rows", plain)}},
		{name: "pledges", order: "campaign_id, number", columns: []column{
			c("campaign_id", plain), c("number", plain), c("name", text), c("phone_hash", plain),
			c("phone_masked", text), c("email", text), c("region", text), c("lang", text), c("created_at", micros),
			c("source", plain), c("invalidation_id", plain), c("email_hash", plain), c("withdrawn_at", micros),
			c("name_corrections", plain)}},
		{name: "pending_pledges", order: "id", serial: "id", columns: []column{
			c("id", plain), c("campaign_id", plain), c("name", text), c("phone_hash", plain), c("phone_masked", text),
			c("email", text), c("email_hash", plain), c("region", text), c("lang", text), c("created_at", micros),
			c("source", plain), c("sends", plain), c("number", plain)}},
		{name: "users", order: "id", serial: "id", columns: []column{
			c("id", plain), c("username", text), c("password_hash", text), c("role", text),
			c("disabled", boolean), c("created_at", micros)}},
		{name: "admin_actions", order: "id", serial: "id", columns: []column{
			c("id", plain), c("at", micros), c("actor", text), c("remote", text), c("kind", text), c("detail", text),
			c("campaign", text)}},
	}
}

// names returns the table's column names.
func (t table) names() []string {
	out := make([]string, len(t.columns))
	for i, c := range t.columns {
		out[i] = c.name
	}
	return out
}

// selectSQL is the SQLite query that reads the whole table in key order.
func (t table) selectSQL() string {
	return "SELECT " + strings.Join(t.names(), ", ") + " FROM " + t.name + " ORDER BY " + t.order
}

// convert turns a value SQLite gave for a column of kind k into the one
// PostgreSQL's column takes.
func convert(k kind, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch k {
	case text:
		if b, ok := v.([]byte); ok {
			return string(b), nil
		}
		return v, nil
	case jsonb:
		switch s := v.(type) {
		case string:
			return json.RawMessage(s), nil
		case []byte:
			return json.RawMessage(s), nil
		}
	case micros, seconds, boolean:
		n, ok := v.(int64)
		if !ok {
			break
		}
		switch k {
		case micros:
			return time.UnixMicro(n).UTC(), nil
		case seconds:
			return time.Unix(n, 0).UTC(), nil
		default:
			return n != 0, nil
		}
	default:
		return v, nil
	}
	return nil, fmt.Errorf("unexpected %T", v)
}

// rowSource streams a table's SQLite rows into pgx's CopyFrom, converting
// each value, so that no table is ever held in memory whole.
type rowSource struct {
	t    table
	rows *sql.Rows
	vals []any
	err  error
}

// Next advances to the next row; false at the end or on an error.
func (r *rowSource) Next() bool {
	if r.err != nil || !r.rows.Next() {
		return false
	}
	raw := make([]any, len(r.t.columns))
	ptrs := make([]any, len(raw))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if err := r.rows.Scan(ptrs...); err != nil {
		r.err = fmt.Errorf("read %s: %w", r.t.name, err)
		return false
	}
	for i, c := range r.t.columns {
		v, err := convert(c.kind, raw[i])
		if err != nil {
			r.err = fmt.Errorf("read %s.%s: %w", r.t.name, c.name, err)
			return false
		}
		raw[i] = v
	}
	r.vals = raw
	return true
}

// Values returns the current row, converted.
func (r *rowSource) Values() ([]any, error) { return r.vals, nil }

// Err returns the first error reading or converting a row.
func (r *rowSource) Err() error {
	if r.err != nil {
		return r.err
	}
	if err := r.rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", r.t.name, err)
	}
	return nil
}
