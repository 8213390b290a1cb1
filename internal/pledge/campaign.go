package pledge

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// EmailMode says whether a campaign asks for an email address.
type EmailMode string

// Email modes.
const (
	EmailNone     EmailMode = "none"
	EmailOptional EmailMode = "optional"
	EmailRequired EmailMode = "required"
)

// Valid reports whether m is a known mode.
func (m EmailMode) Valid() bool {
	return m == EmailNone || m == EmailOptional || m == EmailRequired
}

// Text is a string in several languages, keyed by BCP 47 base language ("en", "hi").
type Text map[string]string

// In returns the text in lang, falling back to fallback and then to any language.
func (t Text) In(lang, fallback string) string {
	if s, ok := t[lang]; ok && s != "" {
		return s
	}
	if s, ok := t[fallback]; ok && s != "" {
		return s
	}
	langs := make([]string, 0, len(t))
	for l, s := range t {
		if s != "" {
			langs = append(langs, l)
		}
	}
	if len(langs) == 0 {
		return ""
	}
	slices.Sort(langs) // the same answer every time
	return t[langs[0]]
}

// Region is an area pledges are counted in: a constituency, a ward. Regions
// have two levels; a top-level region has an empty Parent.
type Region struct {
	Code   string
	Parent string
	Name   Text
}

// Campaign is one pledge drive.
type Campaign struct {
	ID        int64
	Slug      string
	Languages []string // first is the default
	Title     Text
	Pledge    Text // the pledge text itself
	Regions   []Region
	OpensAt   time.Time
	ClosesAt  time.Time // zero: open-ended
	Email     EmailMode
	// Paused stops a campaign taking pledges whatever its times say; an
	// admin switches it from the console.
	Paused bool
	// Goal is the number of pledges the campaign aims for; 0: none.
	Goal             int64
	CertificateTitle Text // heading of the certificate; empty: the portal's wording
	Signatory        Text // who signs the certificate, e.g. "District Election Officer, Bilaspur"
	// RegionLabel is what the citizen's pages call a region, e.g.
	// "District" / "ज़िला" or "Ward" / "वार्ड"; a language without one
	// has the portal's wording ("Constituency").
	RegionLabel Text
	CreatedAt   time.Time
	// RegionsRev counts the edits that took away a region pledges could
	// name (removed it, or gave it a sub-region). The store refuses a
	// submission prepared against an older count, so a pledge never lands
	// in a region an instance still had cached. Set by the store.
	RegionsRev int64
	// AnonymisedAt is when the campaign's pledges last lost their e-mail
	// and network addresses (zero: never). An anonymised campaign stays
	// closed: it must close by then, or it would collect addresses again.
	// Set by the store.
	AnonymisedAt time.Time
	// Version counts the saved edits of the campaign, from 1 when created.
	// The store refuses to save a copy read before the last edit
	// (ErrEditConflict), so two admins' edits never silently undo one
	// another. Set by the store.
	Version int64
}

// OpenSinceAnonymised reports whether the campaign was anonymised and is
// set to take pledges after that: open-ended, or closing later. Only an
// edit from before anonymised campaigns were kept closed leaves it so.
func (c *Campaign) OpenSinceAnonymised() bool {
	return !c.AnonymisedAt.IsZero() && (c.ClosesAt.IsZero() || c.ClosesAt.After(c.AnonymisedAt))
}

// DefaultLang is the campaign's first language.
func (c *Campaign) DefaultLang() string {
	if len(c.Languages) == 0 {
		return "en"
	}
	return c.Languages[0]
}

// HasLang reports whether the campaign is written in lang.
func (c *Campaign) HasLang(lang string) bool {
	for _, l := range c.Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// OpenAt reports whether the campaign takes pledges at time t.
func (c *Campaign) OpenAt(t time.Time) bool {
	if t.Before(c.OpensAt) {
		return false
	}
	return c.ClosesAt.IsZero() || t.Before(c.ClosesAt)
}

// Accepting reports whether the campaign takes new pledges at time t: it is
// open and not paused.
func (c *Campaign) Accepting(t time.Time) bool {
	return c.OpenAt(t) && !c.Paused
}

// Region returns the region with code, if the campaign has it.
func (c *Campaign) Region(code string) (Region, bool) {
	for _, r := range c.Regions {
		if r.Code == code {
			return r, true
		}
	}
	return Region{}, false
}

// Leaves returns the regions a pledge can be counted in: those that are not
// the parent of another region.
func (c *Campaign) Leaves() []Region {
	parents := make(map[string]bool)
	for _, r := range c.Regions {
		if r.Parent != "" {
			parents[r.Parent] = true
		}
	}
	out := make([]Region, 0, len(c.Regions))
	for _, r := range c.Regions {
		if !parents[r.Code] {
			out = append(out, r)
		}
	}
	return out
}

// MaxPledgeText is the longest pledge text a campaign may have, in
// characters.
const MaxPledgeText = 1000

// The longest title, certificate title and signatory a campaign may have
// in one language, in characters: the certificate is laid out to hold
// each of them, and every other text, at its longest.
const (
	MaxTitle            = 200
	MaxCertificateTitle = 200
	MaxSignatory        = 200
)

// MaxRegionName is the longest name a region may have in one language, in
// characters: it is shown in the citizen's form and on certificates.
const MaxRegionName = 100

// MaxRegionLabel is the longest region label a campaign may have in one
// language, in characters: a word or two that labels a form field.
const MaxRegionLabel = 60

// textRule is what one kind of a campaign's texts may hold. Texts are
// shown on pages and drawn on certificates: text only, lines only in the
// pledge, and no longer than a certificate holds legibly (the pledge:
// seven lines at half size). Region names, shown beside citizens' own
// words, may not turn the direction of the text around them either (an
// override can make a name read as another), and neither may the region
// label, which stands beside them.
type textRule struct {
	name  string // as messages name it
	max   int    // characters
	lines bool   // line breaks and tabs allowed
	plain bool   // no bidirectional formatting characters
}

// The rules of a campaign's texts, each checked by Problems; the regions
// CSV parser checks names by regionNameRule too.
var (
	titleRule       = textRule{name: "the title", max: MaxTitle}
	pledgeRule      = textRule{name: "the pledge text", max: MaxPledgeText, lines: true}
	certTitleRule   = textRule{name: "the certificate title", max: MaxCertificateTitle}
	signatoryRule   = textRule{name: "the signatory", max: MaxSignatory}
	regionLabelRule = textRule{name: "the region label", max: MaxRegionLabel, plain: true}
	regionNameRule  = textRule{name: "the name", max: MaxRegionName, plain: true}
)

// problems lists what is wrong with s under t, each a phrase to follow the
// text's name: "has at most 200 characters".
func (t textRule) problems(s string) []string {
	var out []string
	if utf8.RuneCountInString(s) > t.max {
		out = append(out, fmt.Sprintf("has at most %d characters", t.max))
	}
	if !showable(s, t.lines) {
		out = append(out, "has bytes that are not text, or control characters")
	}
	if r, found := directional(s); t.plain && found {
		out = append(out, fmt.Sprintf("has a character that changes the direction of the text around it (%U)", r))
	}
	return out
}

// Validate checks a campaign definition before it is stored.
func (c *Campaign) Validate() error {
	if problems := c.Problems(); len(problems) > 0 {
		return errors.New("invalid campaign: " + strings.Join(problems, "; "))
	}
	return nil
}

// Problems lists what is wrong with a campaign definition, one message per
// problem; none means it is valid.
func (c *Campaign) Problems() []string {
	var problems []string
	if !validSlug(c.Slug) {
		problems = append(problems, "slug must be 1-64 lower-case letters, digits or dashes")
	}
	if len(c.Languages) == 0 {
		problems = append(problems, "at least one language is needed")
	}
	for _, t := range []struct {
		rule textRule
		text Text
	}{
		{titleRule, c.Title},
		{pledgeRule, c.Pledge},
		{certTitleRule, c.CertificateTitle},
		{signatoryRule, c.Signatory},
		{regionLabelRule, c.RegionLabel},
	} {
		for _, l := range slices.Sorted(maps.Keys(t.text)) {
			for _, p := range t.rule.problems(t.text[l]) {
				problems = append(problems, fmt.Sprintf("%s %s (%s)", t.rule.name, p, l))
			}
		}
	}
	for _, l := range c.Languages {
		if c.Title[l] == "" || c.Pledge[l] == "" {
			problems = append(problems, "title and pledge text are needed in "+l)
		}
	}
	if !c.Email.Valid() {
		problems = append(problems, "email mode must be none, optional or required")
	}
	if c.Goal < 0 {
		problems = append(problems, "goal must not be negative")
	}
	if !c.ClosesAt.IsZero() && !c.ClosesAt.After(c.OpensAt) {
		problems = append(problems, "closing time must be after opening time")
	}
	if c.OpenSinceAnonymised() {
		problems = append(problems, "closing time must be no later than "+FormatIST("en", c.AnonymisedAt)+
			", when the campaign's pledges were anonymised: an anonymised campaign cannot reopen")
	}
	seen := make(map[string]Region, len(c.Regions))
	for _, r := range c.Regions {
		if r.Code == "" || len(r.Code) > 32 {
			problems = append(problems, "region codes must have 1-32 characters")
		}
		if !plainCode(r.Code) {
			problems = append(problems, fmt.Sprintf("region code %q has control characters or characters that change the direction of text", r.Code))
		}
		for _, l := range slices.Sorted(maps.Keys(r.Name)) {
			for _, p := range regionNameRule.problems(r.Name[l]) {
				problems = append(problems, fmt.Sprintf("region %s: %s in %s %s", r.Code, regionNameRule.name, l, p))
			}
		}
		if _, dup := seen[r.Code]; dup {
			problems = append(problems, "region code "+r.Code+" appears twice")
		}
		seen[r.Code] = r
	}
	for _, r := range c.Regions {
		if r.Parent == "" {
			continue
		}
		p, ok := seen[r.Parent]
		switch {
		case !ok:
			problems = append(problems, "region "+r.Code+" has unknown parent "+r.Parent)
		case p.Parent != "":
			problems = append(problems, "region "+r.Code+": regions have at most two levels")
		}
	}
	if len(c.Leaves()) == 0 {
		problems = append(problems, "at least one region is needed")
	}
	return problems
}

// showable reports whether s is valid UTF-8 without control characters,
// but for line breaks and tabs where lines are allowed.
func showable(s string, lines bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(lines && (r == '\n' || r == '\r' || r == '\t')) {
			return false
		}
	}
	return true
}

// directional returns the first bidirectional embedding, override or
// isolate character of s (U+202A–U+202E, U+2066–U+2069), if it has one:
// each changes the direction of the text after it, up to the end of the
// line where nothing closes it.
func directional(s string) (rune, bool) {
	for _, r := range s {
		if (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') {
			return r, true
		}
	}
	return 0, false
}

// plainCode reports whether a region code is text without control or
// bidirectional formatting characters.
func plainCode(code string) bool {
	_, turns := directional(code)
	return showable(code, false) && !turns
}

func validSlug(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if (ch < 'a' || ch > 'z') && (ch < '0' || ch > '9') && ch != '-' {
			return false
		}
	}
	return true
}
