package pledge

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"strings"
	"time"
)

// Input is a pledge as a citizen typed it, before validation.
type Input struct {
	Name   string
	Phone  string
	Region string
	Email  string
	Lang   string
}

// Hasher computes the keyed hashes used to de-duplicate personal data
// without storing it.
type Hasher struct {
	key []byte
}

// NewHasher returns a Hasher keyed with the server secret.
func NewHasher(secret []byte) *Hasher {
	return &Hasher{key: append([]byte(nil), secret...)}
}

// Sum returns HMAC-SHA256(secret, s).
func (h *Hasher) Sum(s string) []byte {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// Email returns the keyed hash that keeps one pledge per mailbox: the
// hash of MailboxKey(addr). The address as typed is what the mail goes to.
func (h *Hasher) Email(addr string) []byte {
	return h.Sum("email:" + MailboxKey(addr))
}

// MailboxKey names the mailbox addr reaches, so that one mailbox is one
// pledge however its address is spelt; otherwise anyone could have a
// campaign mail one inbox again and again under new spellings. It ignores
// case, in the local part too, and a "+tag" after the local part: at the
// providers most citizens use, asha+1@example.org and ASHA@example.org
// reach asha@example.org (at the rare server where "+" is part of a name,
// two such people share a key, and the second pledges without the
// address). At Gmail, dots in the local part are ignored and
// googlemail.com is gmail.com. addr must be a plain address, as
// NormaliseEmail returns it.
func MailboxKey(addr string) string {
	addr = strings.ToLower(addr)
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr
	}
	local, domain := addr[:at], addr[at+1:]
	if plus := strings.IndexByte(local, '+'); plus > 0 {
		local = local[:plus]
	}
	if domain == "gmail.com" || domain == "googlemail.com" {
		if l := strings.ReplaceAll(local, ".", ""); l != "" {
			local, domain = l, "gmail.com"
		}
	}
	return local + "@" + domain
}

// Prepare validates and normalises in against campaign c at time now. It
// returns ErrClosed when the campaign is not open or is paused, a *ValidationError listing
// every bad field, or a Submission ready for intake.
func Prepare(c *Campaign, in Input, h *Hasher, now time.Time) (Submission, error) {
	// A paused campaign answers ErrClosed. The check happens here only:
	// intake does not re-check, so a submission prepared before a pause
	// (a pledge in flight) is still committed.
	if !c.Accepting(now) {
		return Submission{}, ErrClosed
	}
	var verr ValidationError
	name, err := NormaliseName(in.Name)
	addField(&verr, err)
	phone, err := NormalisePhone(in.Phone)
	addField(&verr, err)
	region := strings.TrimSpace(in.Region)
	if r, ok := c.Region(region); !ok || !isLeaf(c, r.Code) {
		verr.add("region", MsgRegionUnknown)
	}
	email := ""
	if c.Email != EmailNone && c.Email != "" {
		email, err = NormaliseEmail(in.Email)
		addField(&verr, err)
		if err == nil && email == "" && c.Email == EmailRequired {
			verr.add("email", MsgEmailRequired)
		}
	}
	lang := strings.TrimSpace(in.Lang)
	if lang == "" {
		lang = c.DefaultLang()
	} else if !c.HasLang(lang) {
		verr.add("lang", MsgLangUnknown)
	}
	if len(verr.Fields) > 0 {
		return Submission{}, &verr
	}
	// One pledge per address wherever one is given, as per number: else
	// anyone could have the campaign mail one address again and again.
	var emailHash []byte
	if email != "" {
		emailHash = h.Email(email)
	}
	return Submission{
		CampaignID:  c.ID,
		EmailHash:   emailHash,
		Pending:     c.Email == EmailRequired,
		Name:        name,
		PhoneHash:   h.Sum(phone),
		PhoneMasked: MaskPhone(phone),
		Email:       email,
		Region:      region,
		Lang:        lang,
		CreatedAt:   now.UTC(),
		RegionsRev:  c.RegionsRev,
	}, nil
}

// LeavesLost reports whether a region pledges could name among before
// (a leaf) is missing, or no longer a leaf, among after: an edit from
// before to after must advance the campaign's RegionsRev.
func LeavesLost(before, after []Region) bool {
	now := make(map[string]bool)
	for _, r := range (&Campaign{Regions: after}).Leaves() {
		now[r.Code] = true
	}
	for _, r := range (&Campaign{Regions: before}).Leaves() {
		if !now[r.Code] {
			return true
		}
	}
	return false
}

func addField(v *ValidationError, err error) {
	var fe *FieldError
	if errors.As(err, &fe) {
		v.Fields = append(v.Fields, *fe)
	}
}

func isLeaf(c *Campaign, code string) bool {
	for _, r := range c.Regions {
		if r.Parent == code {
			return false
		}
	}
	return true
}
