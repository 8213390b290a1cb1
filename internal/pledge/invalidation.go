package pledge

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// ErrStillOpen means a campaign has not closed yet, so it cannot be
// anonymised.
var ErrStillOpen = errors.New("campaign has not closed")

// Anonymisation is what anonymising a campaign did.
type Anonymisation struct {
	// Pledges is how many pledges had an e-mail or network address removed.
	Pledges int64
	// Pending is how many unconfirmed pledges (double opt-in, never
	// confirmed, or replaced by a later pledge of the same number) were
	// deleted, with their names and addresses; their links stop working.
	Pending int64
}

// ErrNoCriterion means an invalidation names no time, region or address.
var ErrNoCriterion = errors.New("an invalidation needs a time window, region or address prefix")

// InvalidationFilter chooses the pledges an invalidation sets aside. Every
// criterion given must match; at least one is needed.
type InvalidationFilter struct {
	From, To time.Time    // created in [From, To); zero: open
	Region   string       // "": any region
	Prefix   netip.Prefix // invalid: any source address
}

// Empty reports whether f names no criterion.
func (f InvalidationFilter) Empty() bool {
	return f.From.IsZero() && f.To.IsZero() && f.Region == "" && !f.Prefix.IsValid()
}

// String describes f as invalidations are stored, times in UTC (RFC 3339).
func (f InvalidationFilter) String() string {
	return f.Describe(func(t time.Time) string { return t.UTC().Format(time.RFC3339) })
}

// Describe is String with the times written by stamp, e.g. in the zone a
// reader typed them in.
func (f InvalidationFilter) Describe(stamp func(time.Time) string) string {
	var parts []string
	if !f.From.IsZero() {
		parts = append(parts, "from "+stamp(f.From))
	}
	if !f.To.IsZero() {
		parts = append(parts, "to "+stamp(f.To))
	}
	if f.Region != "" {
		parts = append(parts, "region "+f.Region)
	}
	if f.Prefix.IsValid() {
		parts = append(parts, "source "+f.Prefix.String())
	}
	if len(parts) == 0 {
		return "(none)"
	}
	return strings.Join(parts, ", ")
}

// Check returns an error unless f names at least one criterion and its
// window, if closed at both ends, is not empty.
func (f InvalidationFilter) Check() error {
	if f.Empty() {
		return ErrNoCriterion
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return fmt.Errorf("invalidation window: %s is not before %s", f.From.Format(time.RFC3339), f.To.Format(time.RFC3339))
	}
	return nil
}

// SourceRange returns the prefix's addresses as inclusive bounds on the
// stored 16-byte form of SourceBytes.
func (f InvalidationFilter) SourceRange() (lo, hi []byte) {
	p := f.Prefix.Masked()
	a := p.Addr()
	bits := p.Bits()
	if a.Is4() {
		bits += 96
	}
	b := a.As16()
	l, h := b, b
	for i := bits; i < 128; i++ {
		h[i/8] |= 1 << (7 - i%8)
	}
	return l[:], h[:]
}

// SourceBytes is how a source address is stored: 16 bytes, IPv4 as
// IPv4-mapped, so a prefix is a byte range; nil when unknown.
func SourceBytes(a netip.Addr) []byte {
	if !a.IsValid() {
		return nil
	}
	b := a.Unmap().As16()
	return b[:]
}

// Invalidation is a set of pledges set aside by an admin: not counted, and
// their certificates say so, until it is reverted.
type Invalidation struct {
	ID         int64
	CampaignID int64
	Filter     string // InvalidationFilter.String of the filter used
	Reason     string
	Actor      string
	CreatedAt  time.Time
	RevertedAt time.Time // zero while in force
	Rows       int64
}

// ErrReverted means an invalidation was reverted already.
var ErrReverted = errors.New("invalidation already reverted")
