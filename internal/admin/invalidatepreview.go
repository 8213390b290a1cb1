package admin

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// invalidatePreview is the page an invalidation form leads to first: what
// the invalidation would set aside, counted beforehand, with the criteria
// in words and a button that sends the same form again to confirm it.
// Showing it changes nothing.
type invalidatePreview struct {
	Slug, Title string
	Form        invalidateForm // as typed: the confirm button sends it again
	Criteria    []string       // each criterion in words
	Matches     int64          // how many counted pledges match every criterion
	Counted     int64          // the campaign's counted pledges
}

// Most reports whether more than half of the campaign's counted pledges
// would be set aside.
func (p invalidatePreview) Most() bool { return p.Matches*2 > p.Counted }

// Percent is Matches as a whole percentage of Counted ("0 %" of none).
func (p invalidatePreview) Percent() string {
	if p.Counted == 0 {
		return "0 %"
	}
	return fmt.Sprintf("%d %%", (p.Matches*100+p.Counted/2)/p.Counted)
}

// previewInvalidation shows, before an invalidation is made, how many of
// campaign c's counted pledges the form's filter matches, and asks to
// confirm it.
func (a *Admin) previewInvalidation(w http.ResponseWriter, r *http.Request, c *pledge.Campaign, f invalidateForm, filter pledge.InvalidationFilter) error {
	counts, err := a.store.Counts(r.Context(), c.ID)
	if err != nil {
		return fmt.Errorf("invalidation preview: counts of %s: %w", c.Slug, err)
	}
	n, err := a.store.CountInvalidation(r.Context(), c.ID, filter)
	if err != nil {
		return fmt.Errorf("invalidation preview of %s: %w", c.Slug, err)
	}
	p := invalidatePreview{Slug: c.Slug, Title: c.Title.In("en", c.DefaultLang()), Form: f,
		Criteria: criteriaWords(c, f, filter), Matches: n, Counted: counts.Total}
	a.render(w, r, http.StatusOK, "invalidate", a.newPage(r, "Invalidate pledges of "+c.Slug+"?", p))
	return nil
}

// criteriaWords puts each criterion of filter, read from form f of
// campaign c, in words.
func criteriaWords(c *pledge.Campaign, f invalidateForm, filter pledge.InvalidationFilter) []string {
	var out []string
	if !filter.From.IsZero() {
		out = append(out, "made at or after "+consoleTime(filter.From))
	}
	if !filter.To.IsZero() {
		out = append(out, "made before "+consoleTime(filter.To))
	}
	if filter.Region != "" {
		name := filter.Region
		for _, l := range leafRegions(c) {
			if l.Code == filter.Region {
				name = l.Name + " (" + l.Code + ")"
			}
		}
		out = append(out, "made in the region "+name)
	}
	if filter.Prefix.IsValid() {
		out = append(out, prefixWords(f.Prefix, filter.Prefix))
	}
	return out
}

// prefixWords describes the addresses of prefix p, typed as typed: a bare
// address is read as that one address (/32 or /128), and a prefix with
// host bits set as its network.
func prefixWords(typed string, p netip.Prefix) string {
	m := p.Masked()
	if m.IsSingleIP() {
		s := "sent from the single address " + m.Addr().String()
		if !strings.Contains(typed, "/") {
			s += fmt.Sprintf(" (an address without /bits is read as that one address, %s)", m)
		}
		return s
	}
	s := "sent from an address in " + m.String()
	if m != p {
		s += fmt.Sprintf(" (%s is read as %s)", typed, m)
	}
	if m.Addr().Is4() {
		s += fmt.Sprintf(": the %d addresses %s to %s", uint64(1)<<(32-m.Bits()), m.Addr(), lastAddr4(m))
	}
	return s
}

// lastAddr4 is the highest address of IPv4 prefix p.
func lastAddr4(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v |= host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
