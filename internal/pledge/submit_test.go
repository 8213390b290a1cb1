package pledge_test

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
)

var testNow = testOpens.Add(10 * 24 * time.Hour)

func testHasher() *pledge.Hasher { return pledge.NewHasher([]byte("test secret, 32 bytes long......")) }

func goodInput() pledge.Input {
	return pledge.Input{Name: "  Asha   Devi ", Phone: "+91 98765-43210", Region: "DL-01", Email: "Asha@Example.ORG", Lang: "hi"}
}

func TestPrepareOK(t *testing.T) {
	c := testCampaign()
	now := testNow.In(time.FixedZone("IST", 5*3600+1800))
	sub, err := pledge.Prepare(c, goodInput(), testHasher(), now)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	want := pledge.Submission{
		CampaignID:  7,
		Name:        "Asha Devi",
		PhoneHash:   testHasher().Sum("+919876543210"),
		PhoneMasked: "******3210",
		Email:       "Asha@example.org",
		EmailHash:   testHasher().Email("Asha@example.org"),
		Region:      "DL-01",
		Lang:        "hi",
		CreatedAt:   testNow,
	}
	if !reflect.DeepEqual(sub, want) {
		t.Errorf("Prepare =\n %+v\nwant\n %+v", sub, want)
	}
	if sub.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt in %v, want UTC", sub.CreatedAt.Location())
	}
	if len(sub.PhoneHash) != 32 {
		t.Errorf("PhoneHash has %d bytes, want 32 (HMAC-SHA256)", len(sub.PhoneHash))
	}
}

func TestPrepareClosed(t *testing.T) {
	c := testCampaign()
	for _, at := range []time.Time{testOpens.Add(-time.Nanosecond), testCloses, testCloses.Add(time.Hour)} {
		sub, err := pledge.Prepare(c, goodInput(), testHasher(), at)
		if !errors.Is(err, pledge.ErrClosed) {
			t.Errorf("at %v: err = %v, want ErrClosed", at, err)
		}
		if !reflect.DeepEqual(sub, pledge.Submission{}) {
			t.Errorf("at %v: non-zero submission %+v", at, sub)
		}
	}
	// Closed wins over invalid fields: a closed campaign says so first.
	_, err := pledge.Prepare(c, pledge.Input{}, testHasher(), testCloses)
	if !errors.Is(err, pledge.ErrClosed) {
		t.Errorf("closed campaign with empty input: %v", err)
	}
}

// fieldKeys returns the field -> key pairs of a *ValidationError.
func fieldKeys(t *testing.T, err error) map[string]string {
	t.Helper()
	var verr *pledge.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("error = %v (%T), want *ValidationError", err, err)
	}
	m := map[string]string{}
	for _, f := range verr.Fields {
		if _, dup := m[f.Field]; dup {
			t.Errorf("field %s reported twice", f.Field)
		}
		m[f.Field] = f.Key
		if verr.Field(f.Field) != f.Key {
			t.Errorf("Field(%q) = %q, want %q", f.Field, verr.Field(f.Field), f.Key)
		}
	}
	return m
}

func TestPrepareReportsAllFields(t *testing.T) {
	c := testCampaign()
	c.Email = pledge.EmailRequired
	in := pledge.Input{Name: "12345", Phone: "12345", Region: "KA-01", Email: "not an email", Lang: "fr"}
	sub, err := pledge.Prepare(c, in, testHasher(), testNow)
	if !reflect.DeepEqual(sub, pledge.Submission{}) {
		t.Errorf("non-zero submission with errors: %+v", sub)
	}
	got := fieldKeys(t, err)
	want := map[string]string{
		"name":   pledge.MsgNameNoLetters,
		"phone":  pledge.MsgPhoneInvalid,
		"region": pledge.MsgRegionUnknown,
		"email":  pledge.MsgEmailInvalid,
		"lang":   pledge.MsgLangUnknown,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %v, want %v", got, want)
	}
	var verr *pledge.ValidationError
	errors.As(err, &verr)
	if verr.Field("nonexistent") != "" {
		t.Error("Field of a good field is not empty")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "invalid submission: ") {
		t.Errorf("message %q", msg)
	}
	parts := strings.Split(strings.TrimPrefix(msg, "invalid submission: "), "; ")
	if !sort.StringsAreSorted(parts) || len(parts) != 5 {
		t.Errorf("message parts %q not sorted or not five", parts)
	}
	if strings.Contains(msg, "12345") || strings.Contains(msg, "not an email") {
		t.Errorf("message %q echoes the input", msg)
	}

	// Empty input: the "required" keys.
	_, err = pledge.Prepare(c, pledge.Input{}, testHasher(), testNow)
	got = fieldKeys(t, err)
	want = map[string]string{
		"name":   pledge.MsgNameRequired,
		"phone":  pledge.MsgPhoneRequired,
		"region": pledge.MsgRegionUnknown,
		"email":  pledge.MsgEmailRequired,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("empty input: fields = %v, want %v", got, want)
	}
}

func TestPrepareRegion(t *testing.T) {
	c := testCampaign()
	cases := []struct {
		region string
		ok     bool
	}{
		{"DL-01", true},
		{"DL-02", true},
		{"UP-77", true},
		{"GOA", true}, // a top-level region without children is a leaf
		{" DL-01 ", true},
		{"DL", false}, // parent
		{"UP", false}, // parent
		{"dl-01", false},
		{"KA-01", false},
		{"", false},
		{"DL-01\x00", false},
	}
	for _, tc := range cases {
		in := goodInput()
		in.Region = tc.region
		sub, err := pledge.Prepare(c, in, testHasher(), testNow)
		if tc.ok {
			if err != nil {
				t.Errorf("region %q: %v", tc.region, err)
			} else if sub.Region != strings.TrimSpace(tc.region) {
				t.Errorf("region %q stored as %q", tc.region, sub.Region)
			}
			continue
		}
		if got := fieldKeys(t, err); !reflect.DeepEqual(got, map[string]string{"region": pledge.MsgRegionUnknown}) {
			t.Errorf("region %q: fields %v", tc.region, got)
		}
	}
}

func TestPrepareEmailModes(t *testing.T) {
	cases := []struct {
		mode   pledge.EmailMode
		email  string
		want   string // stored email when ok
		errKey string // "" when ok
	}{
		{pledge.EmailNone, "", "", ""},
		{pledge.EmailNone, "asha@example.org", "", ""}, // not asked: dropped
		{pledge.EmailNone, "garbage", "", ""},          // not asked: not checked
		{"", "asha@example.org", "", ""},               // empty mode behaves like none
		{pledge.EmailOptional, "", "", ""},
		{pledge.EmailOptional, "  ", "", ""},
		{pledge.EmailOptional, "asha@EXAMPLE.org", "asha@example.org", ""},
		{pledge.EmailOptional, "garbage", "", pledge.MsgEmailInvalid},
		{pledge.EmailRequired, "", "", pledge.MsgEmailRequired},
		{pledge.EmailRequired, " \t", "", pledge.MsgEmailRequired},
		{pledge.EmailRequired, "asha@example.org", "asha@example.org", ""},
		{pledge.EmailRequired, "garbage", "", pledge.MsgEmailInvalid},
	}
	for _, tc := range cases {
		c := testCampaign()
		c.Email = tc.mode
		in := goodInput()
		in.Email = tc.email
		sub, err := pledge.Prepare(c, in, testHasher(), testNow)
		if tc.errKey == "" {
			if err != nil {
				t.Errorf("mode %q email %q: %v", tc.mode, tc.email, err)
			} else if sub.Email != tc.want {
				t.Errorf("mode %q email %q: stored %q, want %q", tc.mode, tc.email, sub.Email, tc.want)
			}
			continue
		}
		if got := fieldKeys(t, err); !reflect.DeepEqual(got, map[string]string{"email": tc.errKey}) {
			t.Errorf("mode %q email %q: fields %v, want email=%s", tc.mode, tc.email, got, tc.errKey)
		}
	}
}

// TestPrepareEmailKeyIsTheMailbox: one mailbox is one pledge however its
// address is spelt (case, a "+tag", Gmail's dots and googlemail.com), and
// the mail still goes to the address as typed.
func TestPrepareEmailKeyIsTheMailbox(t *testing.T) {
	c := testCampaign()
	c.Email = pledge.EmailRequired
	key := func(email string) pledge.Submission {
		t.Helper()
		in := goodInput()
		in.Email = email
		sub, err := pledge.Prepare(c, in, testHasher(), testNow)
		if err != nil {
			t.Fatalf("email %q: %v", email, err)
		}
		return sub
	}
	for _, tc := range []struct {
		mailbox string
		same    []string
		other   []string
	}{
		{"asha@example.org",
			[]string{"Asha@example.org", "ASHA@EXAMPLE.ORG", "asha@Example.Org", "asha+1@example.org", "Asha+pledge+2@example.org"},
			[]string{"asha2@example.org", "a.sha@example.org", "asha@example.com", "+asha@example.org", "asha@gmail.com"}},
		{"ravi.kumar@gmail.com",
			[]string{"ravikumar@gmail.com", "R.a.v.i.Kumar@gmail.com", "ravi.kumar+vote@gmail.com", "ravikumar@googlemail.com", "ravi.kumar@GoogleMail.com"},
			[]string{"ravi.kumar@example.org", "ravi.kumar1@gmail.com", "ravikumar@gmail.co"}},
	} {
		want := key(tc.mailbox)
		for _, email := range tc.same {
			sub := key(email)
			if !bytes.Equal(sub.EmailHash, want.EmailHash) {
				t.Errorf("%q keys another pledge than %s", email, tc.mailbox)
			}
			if local := strings.SplitN(email, "@", 2)[0]; !strings.HasPrefix(sub.Email, local+"@") {
				t.Errorf("%q is stored as %q: the mail must go to the local part as typed", email, sub.Email)
			}
		}
		for _, email := range tc.other {
			if bytes.Equal(key(email).EmailHash, want.EmailHash) {
				t.Errorf("%q keys the same pledge as %s", email, tc.mailbox)
			}
		}
	}
}

// TestPrepareOptionalEmailIsKeyed: an address given where it is optional
// is one pledge per address too (else anyone could have the campaign mail
// one address again and again); none given, no key, and not pending.
func TestPrepareOptionalEmailIsKeyed(t *testing.T) {
	c := testCampaign()
	c.Email = pledge.EmailOptional
	in := goodInput()
	in.Email = "asha@example.org"
	sub, err := pledge.Prepare(c, in, testHasher(), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(sub.EmailHash) == 0 || sub.Pending {
		t.Errorf("optional address given: key %x, pending %v; want a key, not pending", sub.EmailHash, sub.Pending)
	}
	in.Email = ""
	if sub, err = pledge.Prepare(c, in, testHasher(), testNow); err != nil {
		t.Fatal(err)
	}
	if sub.EmailHash != nil {
		t.Errorf("no address given: key %x, want none", sub.EmailHash)
	}
}

func TestPrepareLang(t *testing.T) {
	cases := []struct {
		langs  []string
		lang   string
		want   string
		errKey string
	}{
		{[]string{"en", "hi"}, "", "en", ""},
		{[]string{"hi", "en"}, "", "hi", ""},
		{[]string{"en", "hi"}, " ", "en", ""},
		{[]string{"en", "hi"}, "hi", "hi", ""},
		{[]string{"en", "hi"}, " hi ", "hi", ""},
		{[]string{"en", "hi"}, "en", "en", ""},
		{[]string{"en", "hi"}, "ta", "", pledge.MsgLangUnknown},
		{[]string{"en", "hi"}, "HI", "", pledge.MsgLangUnknown},
		{[]string{"en", "hi"}, "hi-IN", "", pledge.MsgLangUnknown},
		{[]string{"en"}, "hi", "", pledge.MsgLangUnknown},
	}
	for _, tc := range cases {
		c := testCampaign()
		c.Languages = tc.langs
		in := goodInput()
		in.Lang = tc.lang
		sub, err := pledge.Prepare(c, in, testHasher(), testNow)
		if tc.errKey == "" {
			if err != nil {
				t.Errorf("langs %v lang %q: %v", tc.langs, tc.lang, err)
			} else if sub.Lang != tc.want {
				t.Errorf("langs %v lang %q: stored %q, want %q", tc.langs, tc.lang, sub.Lang, tc.want)
			}
			continue
		}
		if got := fieldKeys(t, err); !reflect.DeepEqual(got, map[string]string{"lang": tc.errKey}) {
			t.Errorf("langs %v lang %q: fields %v", tc.langs, tc.lang, got)
		}
	}
}

func TestPreparePhoneHash(t *testing.T) {
	c := testCampaign()
	h := testHasher()
	forms := []string{"9876543210", "+91 98765-43210", "0091 98765 43210", "09876543210", "(+91) 98765 43210", "919876543210", "९८७६५४३२१०"}
	var first []byte
	for _, f := range forms {
		in := goodInput()
		in.Phone = f
		sub, err := pledge.Prepare(c, in, h, testNow)
		if err != nil {
			t.Fatalf("phone %q: %v", f, err)
		}
		if first == nil {
			first = sub.PhoneHash
		} else if !bytes.Equal(sub.PhoneHash, first) {
			t.Errorf("phone %q hashes differently from %q", f, forms[0])
		}
		if sub.PhoneMasked != "******3210" {
			t.Errorf("phone %q masked as %q", f, sub.PhoneMasked)
		}
	}

	other := goodInput()
	other.Phone = "9876543211"
	sub, err := pledge.Prepare(c, other, h, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(sub.PhoneHash, first) {
		t.Error("different numbers share a hash")
	}

	sub2, err := pledge.Prepare(c, goodInput(), pledge.NewHasher([]byte("another secret")), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(sub2.PhoneHash, first) {
		t.Error("different secrets give the same hash")
	}
}

func TestHasher(t *testing.T) {
	secret := []byte("secret")
	h := pledge.NewHasher(secret)
	a := h.Sum("+919876543210")
	secret[0] = 'X' // the hasher keeps its own copy
	if !bytes.Equal(h.Sum("+919876543210"), a) {
		t.Error("Hasher follows later changes to the caller's secret slice")
	}
	if bytes.Equal(pledge.NewHasher([]byte("secret")).Sum("a"), pledge.NewHasher([]byte("secret")).Sum("b")) {
		t.Error("different inputs, same hash")
	}
	if !bytes.Equal(pledge.NewHasher(nil).Sum("a"), pledge.NewHasher([]byte{}).Sum("a")) {
		t.Error("nil and empty secrets differ")
	}
	// Known answer: HMAC-SHA256(key="key", "The quick brown fox jumps over the lazy dog").
	got := fmt.Sprintf("%x", pledge.NewHasher([]byte("key")).Sum("The quick brown fox jumps over the lazy dog"))
	if got != "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8" {
		t.Errorf("HMAC-SHA256 known answer = %s", got)
	}
}

// TestPrepareKeepsNoRawPhone: the submission must not hold the mobile number
// in any written form, in any field or in its printed forms.
func TestPrepareKeepsNoRawPhone(t *testing.T) {
	c := testCampaign()
	c.Email = pledge.EmailOptional
	for _, phone := range []string{"9876543210", "+91 98765-43210", "0091 98765 43210", "९८७६५४३२१०", "98765.43210"} {
		in := goodInput()
		in.Phone = phone
		sub, err := pledge.Prepare(c, in, testHasher(), testNow)
		if err != nil {
			t.Fatalf("%q: %v", phone, err)
		}
		// Any five consecutive digits of the number, and the number itself.
		forbidden := []string{phone, "+919876543210", "9876543210", "98765", "87654", "76543", "65432", "54321", "९८७६५", "६५४३२"}
		v := reflect.ValueOf(sub)
		var texts []string
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.Kind() == reflect.String {
				texts = append(texts, v.Type().Field(i).Name+"="+f.String())
			}
		}
		texts = append(texts,
			string(sub.PhoneHash),
			fmt.Sprintf("%x", sub.PhoneHash),
			fmt.Sprintf("%v", sub),
			fmt.Sprintf("%+v", sub),
			fmt.Sprintf("%#v", sub),
			string(sub.PhoneHash),
		)
		for _, s := range texts {
			for _, f := range forbidden {
				if strings.Contains(s, f) {
					t.Errorf("phone %q: %q appears in %q", phone, f, s)
				}
			}
		}
		if sub.PhoneMasked != "******3210" {
			t.Errorf("masked = %q, want only the last four digits", sub.PhoneMasked)
		}
	}
}

func TestAuditConsistent(t *testing.T) {
	good := pledge.Audit{Rows: 3, Valid: 3, Counted: 3, RegionsAgree: true, MinNumber: 1, MaxNumber: 3, LastNumber: 3, DistinctNums: 3, DistinctPhone: 3}
	if !good.Consistent() {
		t.Error("consistent audit refused")
	}
	part := good
	part.Valid, part.Counted = 2, 2 // one pledge invalidated
	if !part.Consistent() {
		t.Error("consistent audit with an invalidated pledge refused")
	}
	if !(pledge.Audit{RegionsAgree: true}).Consistent() {
		t.Error("empty campaign refused")
	}
	bad := map[string]func(a *pledge.Audit){
		"count rows differ":     func(a *pledge.Audit) { a.Counted = 4 },
		"valid rows differ":     func(a *pledge.Audit) { a.Valid = 2 },
		"regions disagree":      func(a *pledge.Audit) { a.RegionsAgree = false },
		"numbers start at 2":    func(a *pledge.Audit) { a.MinNumber = 2 },
		"gap at the end":        func(a *pledge.Audit) { a.MaxNumber = 4 },
		"duplicate number":      func(a *pledge.Audit) { a.DistinctNums = 2 },
		"duplicate phone":       func(a *pledge.Audit) { a.DistinctPhone = 2 },
		"sequence ahead":        func(a *pledge.Audit) { a.LastNumber = 4 },
		"empty but counted":     func(a *pledge.Audit) { *a = pledge.Audit{Counted: 1, RegionsAgree: true} },
		"empty but numbered":    func(a *pledge.Audit) { *a = pledge.Audit{LastNumber: 1, RegionsAgree: true} },
		"empty, regions differ": func(a *pledge.Audit) { *a = pledge.Audit{} },
	}
	for name, change := range bad {
		a := good
		change(&a)
		if a.Consistent() {
			t.Errorf("%s: %+v reported consistent", name, a)
		}
	}
}
