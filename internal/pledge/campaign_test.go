package pledge_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
)

var (
	testOpens  = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	testCloses = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
)

// testCampaign is a valid two-language campaign with a two-level region
// tree: two states, each with constituencies, and one top-level leaf.
func testCampaign() *pledge.Campaign {
	return &pledge.Campaign{
		ID:        7,
		Slug:      "vote-2026",
		Languages: []string{"en", "hi"},
		Title:     pledge.Text{"en": "I will vote", "hi": "मैं मतदान करूँगा"},
		Pledge:    pledge.Text{"en": "I pledge to vote.", "hi": "मैं मतदान का संकल्प लेता हूँ।"},
		Regions: []pledge.Region{
			{Code: "DL", Name: pledge.Text{"en": "Delhi", "hi": "दिल्ली"}},
			{Code: "DL-01", Parent: "DL", Name: pledge.Text{"en": "Chandni Chowk", "hi": "चांदनी चौक"}},
			{Code: "DL-02", Parent: "DL", Name: pledge.Text{"en": "North East Delhi", "hi": "उत्तर पूर्वी दिल्ली"}},
			{Code: "UP", Name: pledge.Text{"en": "Uttar Pradesh", "hi": "उत्तर प्रदेश"}},
			{Code: "UP-77", Parent: "UP", Name: pledge.Text{"en": "Varanasi", "hi": "वाराणसी"}},
			{Code: "GOA", Name: pledge.Text{"en": "Goa", "hi": "गोवा"}},
		},
		OpensAt:   testOpens,
		ClosesAt:  testCloses,
		Email:     pledge.EmailOptional,
		CreatedAt: testOpens.Add(-24 * time.Hour),
	}
}

func TestCampaignValidateOK(t *testing.T) {
	if err := testCampaign().Validate(); err != nil {
		t.Fatalf("valid campaign refused: %v", err)
	}
	open := testCampaign()
	open.ClosesAt = time.Time{}
	if err := open.Validate(); err != nil {
		t.Errorf("open-ended campaign refused: %v", err)
	}
	for _, m := range []pledge.EmailMode{pledge.EmailNone, pledge.EmailOptional, pledge.EmailRequired} {
		c := testCampaign()
		c.Email = m
		if err := c.Validate(); err != nil {
			t.Errorf("email mode %q refused: %v", m, err)
		}
	}
	for _, slug := range []string{"a", "0", "vote", "lok-sabha-2029", "a-", strings.Repeat("a", 64)} {
		c := testCampaign()
		c.Slug = slug
		if err := c.Validate(); err != nil {
			t.Errorf("slug %q refused: %v", slug, err)
		}
	}
	flat := testCampaign()
	flat.Regions = []pledge.Region{{Code: "X", Name: pledge.Text{"en": "X"}}}
	if err := flat.Validate(); err != nil {
		t.Errorf("single flat region refused: %v", err)
	}
	code32 := testCampaign()
	code32.Regions = []pledge.Region{{Code: strings.Repeat("c", 32)}}
	if err := code32.Validate(); err != nil {
		t.Errorf("32-character region code refused: %v", err)
	}
	text := testCampaign()
	text.Title["hi"] = strings.Repeat("म", 200)
	text.Pledge["en"] = "I pledge\r\nto vote,\tin every election."
	if err := text.Validate(); err != nil {
		t.Errorf("a 200-character title and a pledge in lines refused: %v", err)
	}
	label := testCampaign()
	label.RegionLabel = pledge.Text{"en": strings.Repeat("W", pledge.MaxRegionLabel), "hi": "वार्ड"}
	if err := label.Validate(); err != nil {
		t.Errorf("a 60-character region label refused: %v", err)
	}
}

func TestCampaignValidateRefuses(t *testing.T) {
	cases := []struct {
		name   string
		change func(c *pledge.Campaign)
		want   string // a fragment of the message
	}{
		{"empty slug", func(c *pledge.Campaign) { c.Slug = "" }, "slug"},
		{"upper-case slug", func(c *pledge.Campaign) { c.Slug = "Vote" }, "slug"},
		{"slug with space", func(c *pledge.Campaign) { c.Slug = "vote 2026" }, "slug"},
		{"slug with slash", func(c *pledge.Campaign) { c.Slug = "vote/2026" }, "slug"},
		{"slug with underscore", func(c *pledge.Campaign) { c.Slug = "vote_2026" }, "slug"},
		{"slug leading dash", func(c *pledge.Campaign) { c.Slug = "-vote" }, "slug"},
		{"slug Devanagari", func(c *pledge.Campaign) { c.Slug = "मत" }, "slug"},
		{"slug too long", func(c *pledge.Campaign) { c.Slug = strings.Repeat("a", 65) }, "slug"},
		{"no language", func(c *pledge.Campaign) { c.Languages = nil }, "at least one language"},
		{"missing title text", func(c *pledge.Campaign) { delete(c.Title, "hi") }, "needed in hi"},
		{"empty pledge text", func(c *pledge.Campaign) { c.Pledge["hi"] = "" }, "needed in hi"},
		{"pledge text longer than a certificate holds", func(c *pledge.Campaign) {
			c.Pledge["hi"] = strings.Repeat("शपथ ", pledge.MaxPledgeText/4+1)
		}, "at most 1000 characters (hi)"},
		{"language without texts", func(c *pledge.Campaign) { c.Languages = append(c.Languages, "ta") }, "needed in ta"},
		{"title longer than a heading", func(c *pledge.Campaign) { c.Title["hi"] = strings.Repeat("म", 201) }, "title has at most 200 characters (hi)"},
		{"signatory longer than a certificate line", func(c *pledge.Campaign) { c.Signatory = pledge.Text{"en": strings.Repeat("s", 201)} }, "the signatory has at most 200 characters (en)"},
		{"certificate title too long", func(c *pledge.Campaign) { c.CertificateTitle = pledge.Text{"hi": strings.Repeat("म", 201)} }, "the certificate title has at most 200 characters (hi)"},
		{"title not UTF-8", func(c *pledge.Campaign) { c.Title["en"] = "\xff\xfebad" }, "the title has bytes that are not text"},
		{"title with NUL", func(c *pledge.Campaign) { c.Title["en"] = "Vote\x00" }, "the title has bytes that are not text, or control characters (en)"},
		{"title with a line break", func(c *pledge.Campaign) { c.Title["en"] = "Vote\nnow" }, "the title has bytes"},
		{"pledge text with NUL", func(c *pledge.Campaign) { c.Pledge["hi"] = "शपथ\x00" }, "the pledge text has bytes"},
		{"signatory with escape", func(c *pledge.Campaign) { c.Signatory = pledge.Text{"en": "DEO\x1b[31m"} }, "the signatory has bytes"},
		{"certificate title not UTF-8", func(c *pledge.Campaign) { c.CertificateTitle = pledge.Text{"en": "\xc3"} }, "the certificate title has bytes"},
		{"region label longer than a field's label", func(c *pledge.Campaign) {
			c.RegionLabel = pledge.Text{"hi": strings.Repeat("म", pledge.MaxRegionLabel+1)}
		}, "the region label has at most 60 characters (hi)"},
		{"region label with a line break", func(c *pledge.Campaign) { c.RegionLabel = pledge.Text{"en": "Ward\nno."} }, "the region label has bytes that are not text, or control characters (en)"},
		{"region label not UTF-8", func(c *pledge.Campaign) { c.RegionLabel = pledge.Text{"en": "Ward\xff"} }, "the region label has bytes"},
		{"region label with an override", func(c *pledge.Campaign) { c.RegionLabel = pledge.Text{"en": "\u202eWard"} }, "the region label has a character that changes the direction of the text around it (U+202E) (en)"},
		{"region name with BEL", func(c *pledge.Campaign) { c.Regions[0].Name["en"] = "Delhi\a" }, "the name in en has bytes that are not text"},
		{"region name with a right-to-left override", func(c *pledge.Campaign) { c.Regions[0].Name["hi"] = "\u202eदिल्ली" }, "the name in hi has a character that changes the direction of the text around it (U+202E)"},
		{"region name with an embedding", func(c *pledge.Campaign) { c.Regions[0].Name["en"] = "\u202aDelhi" }, "(U+202A)"},
		{"region name with a pop isolate", func(c *pledge.Campaign) { c.Regions[0].Name["en"] = "Delhi\u2069" }, "(U+2069)"},
		{"region name too long", func(c *pledge.Campaign) { c.Regions[0].Name["en"] = strings.Repeat("D", pledge.MaxRegionName+1) }, "the name in en has at most 100 characters"},
		{"region code with escape", func(c *pledge.Campaign) {
			c.Regions = append(c.Regions, pledge.Region{Code: "X\x1b", Name: pledge.Text{"en": "X"}})
		}, `region code "X\x1b" has control characters`},
		{"region code with an isolate", func(c *pledge.Campaign) {
			c.Regions = append(c.Regions, pledge.Region{Code: "X\u2066", Name: pledge.Text{"en": "X"}})
		}, "change the direction of text"},
		{"empty email mode", func(c *pledge.Campaign) { c.Email = "" }, "email mode"},
		{"unknown email mode", func(c *pledge.Campaign) { c.Email = "sometimes" }, "email mode"},
		{"closes before opens", func(c *pledge.Campaign) { c.ClosesAt = c.OpensAt.Add(-time.Second) }, "closing time"},
		{"closes when opens", func(c *pledge.Campaign) { c.ClosesAt = c.OpensAt }, "closing time"},
		{"no regions", func(c *pledge.Campaign) { c.Regions = nil }, "at least one region"},
		{"empty region code", func(c *pledge.Campaign) { c.Regions = append(c.Regions, pledge.Region{Code: ""}) }, "1-32 characters"},
		{"long region code", func(c *pledge.Campaign) {
			c.Regions = append(c.Regions, pledge.Region{Code: strings.Repeat("c", 33)})
		}, "1-32 characters"},
		{"duplicate code", func(c *pledge.Campaign) {
			c.Regions = append(c.Regions, pledge.Region{Code: "DL-01", Parent: "DL"})
		}, "DL-01 appears twice"},
		{"duplicate top-level code", func(c *pledge.Campaign) { c.Regions = append(c.Regions, pledge.Region{Code: "GOA"}) }, "GOA appears twice"},
		{"unknown parent", func(c *pledge.Campaign) {
			c.Regions = append(c.Regions, pledge.Region{Code: "KA-01", Parent: "KA"})
		}, "unknown parent KA"},
		{"three levels", func(c *pledge.Campaign) {
			c.Regions = append(c.Regions, pledge.Region{Code: "DL-01-W1", Parent: "DL-01"})
		}, "at most two levels"},
		{"own parent", func(c *pledge.Campaign) { c.Regions = []pledge.Region{{Code: "A", Parent: "A"}} }, ""},
		{"parent cycle", func(c *pledge.Campaign) {
			c.Regions = []pledge.Region{{Code: "A", Parent: "B"}, {Code: "B", Parent: "A"}}
		}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := testCampaign()
			tc.change(c)
			err := c.Validate()
			if err == nil {
				t.Fatalf("Validate accepted the campaign")
			}
			if !strings.HasPrefix(err.Error(), "invalid campaign: ") {
				t.Errorf("message %q lacks its prefix", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("message %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestCampaignValidateReportsEveryProblem(t *testing.T) {
	c := testCampaign()
	c.Slug = "Bad Slug"
	c.Email = "x"
	c.ClosesAt = c.OpensAt
	c.Regions = append(c.Regions, pledge.Region{Code: "DL-01"}, pledge.Region{Code: "Z", Parent: "nowhere"})
	err := c.Validate()
	if err == nil {
		t.Fatal("accepted")
	}
	for _, frag := range []string{"slug", "email mode", "closing time", "DL-01 appears twice", "unknown parent nowhere"} {
		if !strings.Contains(err.Error(), frag) {
			t.Errorf("message %q does not mention %q", err, frag)
		}
	}
}

func TestCampaignOpenAt(t *testing.T) {
	c := testCampaign()
	cases := []struct {
		name string
		at   time.Time
		want bool
	}{
		{"long before", testOpens.Add(-24 * time.Hour), false},
		{"a nanosecond before opening", testOpens.Add(-time.Nanosecond), false},
		{"at opening", testOpens, true},
		{"just after opening", testOpens.Add(time.Nanosecond), true},
		{"middle", testOpens.Add(30 * 24 * time.Hour), true},
		{"a nanosecond before closing", testCloses.Add(-time.Nanosecond), true},
		{"at closing", testCloses, false},
		{"after closing", testCloses.Add(time.Hour), false},
		{"opening in another zone", testOpens.In(time.FixedZone("IST", 5*3600+1800)), true},
		{"before opening in another zone", testOpens.Add(-time.Second).In(time.FixedZone("IST", 5*3600+1800)), false},
	}
	for _, tc := range cases {
		if got := c.OpenAt(tc.at); got != tc.want {
			t.Errorf("%s: OpenAt(%v) = %v, want %v", tc.name, tc.at, got, tc.want)
		}
	}
	c.ClosesAt = time.Time{}
	if !c.OpenAt(testOpens.Add(100 * 365 * 24 * time.Hour)) {
		t.Error("open-ended campaign closed in a hundred years")
	}
	if c.OpenAt(testOpens.Add(-time.Nanosecond)) {
		t.Error("open-ended campaign open before it opens")
	}
}

func TestCampaignLeaves(t *testing.T) {
	c := testCampaign()
	var got []string
	for _, r := range c.Leaves() {
		got = append(got, r.Code)
	}
	want := []string{"DL-01", "DL-02", "UP-77", "GOA"} // in definition order
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Leaves = %v, want %v", got, want)
	}

	c.Regions = []pledge.Region{{Code: "A"}, {Code: "B"}}
	if n := len(c.Leaves()); n != 2 {
		t.Errorf("flat list: %d leaves, want 2", n)
	}
	c.Regions = nil
	if n := len(c.Leaves()); n != 0 {
		t.Errorf("no regions: %d leaves", n)
	}
	// A parent whose children were all removed is a leaf again.
	c.Regions = []pledge.Region{{Code: "DL"}}
	if l := c.Leaves(); len(l) != 1 || l[0].Code != "DL" {
		t.Errorf("childless parent: %v", l)
	}
}

func TestCampaignRegionAndLangs(t *testing.T) {
	c := testCampaign()
	if r, ok := c.Region("UP-77"); !ok || r.Parent != "UP" {
		t.Errorf("Region(UP-77) = %v, %v", r, ok)
	}
	if _, ok := c.Region("up-77"); ok {
		t.Error("region codes matched case-insensitively")
	}
	if _, ok := c.Region(""); ok {
		t.Error("empty code found")
	}
	if c.DefaultLang() != "en" || !c.HasLang("hi") || c.HasLang("ta") || c.HasLang("") {
		t.Error("language helpers wrong")
	}
	c.Languages = nil
	if c.DefaultLang() != "en" {
		t.Errorf("DefaultLang without languages = %q", c.DefaultLang())
	}
	c.Languages = []string{"hi", "en"}
	if c.DefaultLang() != "hi" {
		t.Errorf("DefaultLang = %q, want the first language", c.DefaultLang())
	}
}

func TestTextIn(t *testing.T) {
	tx := pledge.Text{"en": "Vote", "hi": "मतदान", "ta": ""}
	cases := []struct{ lang, fallback, want string }{
		{"hi", "en", "मतदान"},
		{"en", "hi", "Vote"},
		{"fr", "en", "Vote"},
		{"fr", "hi", "मतदान"},
		{"ta", "en", "Vote"}, // empty text counts as missing
		{"", "hi", "मतदान"},
	}
	for _, c := range cases {
		if got := tx.In(c.lang, c.fallback); got != c.want {
			t.Errorf("In(%q, %q) = %q, want %q", c.lang, c.fallback, got, c.want)
		}
	}
	if got := (pledge.Text{}).In("en", "en"); got != "" {
		t.Errorf("empty Text gave %q", got)
	}
	if got := pledge.Text(nil).In("en", "en"); got != "" {
		t.Errorf("nil Text gave %q", got)
	}
	if got := (pledge.Text{"ta": "வாக்கு"}).In("en", "hi"); got != "வாக்கு" {
		t.Errorf("last-resort fallback gave %q", got)
	}
}

// TestTextInLastResortIsStable: when neither lang nor fallback has text, In
// falls back to "any language". That choice must be a non-empty text and the
// same every time, or cached pages flip between languages.
func TestTextInLastResortIsStable(t *testing.T) {
	tx := pledge.Text{"en": "", "ta": "வாக்கு", "te": "ఓటు", "bn": "ভোট"}
	first := tx.In("hi", "en")
	for range 200 {
		got := tx.In("hi", "en")
		if got == "" {
			t.Fatalf("In returned the empty text although others exist")
		}
		if got != first {
			t.Fatalf("In is not deterministic: %q then %q", first, got)
		}
	}
}

func TestEmailModeValid(t *testing.T) {
	for _, m := range []pledge.EmailMode{"none", "optional", "required"} {
		if !m.Valid() {
			t.Errorf("%q not valid", m)
		}
	}
	for _, m := range []pledge.EmailMode{"", "None", "yes", "REQUIRED"} {
		if m.Valid() {
			t.Errorf("%q valid", m)
		}
	}
}
