package main

// TestMailEndToEnd runs the whole portal in-process (serve with its store,
// River's mail workers, intake and web) against an in-process SMTP server,
// and follows a citizen over real HTTP and SMTP: the double opt-in of a
// campaign that requires an email address, in Hindi; resending the opt-in
// mail up to the limit; withdrawing through the confirmation mail's link;
// a confirmation link that expires; and the confirmation mail of a campaign
// where the address is optional. It runs on SQLite, and on PostgreSQL when
// PLEDGE_TEST_DATABASE_URL is set.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/config"
	"github.com/pledgeportal/pledge/internal/mail/mailtest"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
	"github.com/pledgeportal/pledge/internal/store/postgres"
	"github.com/pledgeportal/pledge/internal/store/postgres/pgtest"
	"github.com/pledgeportal/pledge/internal/store/sqlite"
	"github.com/pledgeportal/pledge/internal/store/storetest"
	"github.com/pledgeportal/pledge/internal/syncbuf"
)

// The campaigns of the mail tests: one that counts a pledge only once its
// address is confirmed, one where the address is optional.
const (
	optInSlug    = "mail-optin"
	optionalSlug = "mail-optional"
)

// Markers of the mails and pages, from internal/mail/templates and
// internal/web/templates.
const (
	hindiTitle        = "परीक्षण संकल्प" // storetest.Campaign's title in Hindi
	hindiOptInSubject = "कृपया अपने संकल्प की पुष्टि करें: " + hindiTitle
	withdrawnMarker   = `id="withdrawn"` // certificate.html's alert for a withdrawn pledge
)

func TestMailEndToEnd(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		testMailEndToEnd(t, func(t *testing.T) string {
			return filepath.Join(t.TempDir(), "pledge.db")
		})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		pgtest.BaseURL(t) // fails rather than skips when services are required
		testMailEndToEnd(t, func(t *testing.T) string { return pgtest.New(t, nil) })
	})
}

// testMailEndToEnd runs the flows on databases made by newDB, each flow
// with a portal, a database and a mail server of its own.
func testMailEndToEnd(t *testing.T, newDB func(t *testing.T) string) {
	t.Run("optin-resend-withdraw-optional", func(t *testing.T) {
		t.Parallel()
		p := startMailPortal(t, newDB(t), nil)
		testOptIn(t, p)
	})
	t.Run("expiry", func(t *testing.T) {
		t.Parallel()
		const ttl = 3 * time.Second
		p := startMailPortal(t, newDB(t), func(c *config.Config) { c.PendingTTL = ttl })
		testExpiry(t, p, ttl)
	})
}

// testOptIn is flows (a) opt-in in Hindi, (b) resend up to the limit,
// (c) withdrawal and (e) the optional-mode campaign on one portal.
func testOptIn(t *testing.T, p *mailPortal) {
	// (a) A pledge in Hindi waits for its address to be confirmed.
	const email = "asha@example.org"
	since := time.Now()
	pendingLoc := p.submitForm(t, optInSlug, url.Values{
		"name": {"आशा देवी"}, "phone": {"9876500001"}, "region": {"N1"}, "email": {email}, "lang": {"hi"},
	})
	if !strings.HasPrefix(pendingLoc, "/c/"+optInSlug+"/pending/") || !strings.HasSuffix(pendingLoc, "?lang=hi") {
		t.Fatalf("form redirected to %q, want the pending page in Hindi", pendingLoc)
	}
	p.wantStats(t, optInSlug, since, 0, nil)

	optIn := p.waitMails(t, email, 1)[0]
	if got := optIn.Header.Get("Content-Language"); got != "hi" {
		t.Errorf("opt-in mail Content-Language = %q, want hi", got)
	}
	if got := optIn.Subject(); got != hindiOptInSubject {
		t.Errorf("opt-in mail subject = %q, want %q", got, hindiOptInSubject)
	}
	if !strings.Contains(optIn.Text, "नमस्ते,") || strings.Contains(optIn.Text+optIn.HTML, "आशा") {
		t.Errorf("opt-in mail does not greet in Hindi, or repeats the typed name:\n%s", optIn.Text)
	}
	confirmURL := mailLink(t, optIn, p.base+"/c/"+optInSlug+"/confirm/")
	if !strings.HasSuffix(confirmURL, "?lang=hi") {
		t.Errorf("confirm link %q does not keep the language (?lang=hi)", confirmURL)
	}
	if !strings.Contains(optIn.HTML, `href="`+confirmURL+`"`) {
		t.Errorf("the HTML part does not link to %s", confirmURL)
	}
	if strings.Contains(optIn.Text, "/withdraw/") || strings.Contains(optIn.Text, "/certificate/") {
		t.Errorf("the opt-in mail links to a certificate or withdrawal:\n%s", optIn.Text)
	}

	// Following the link (as people and mail scanners do) confirms nothing.
	action := strings.TrimPrefix(confirmURL, p.base)
	since = time.Now()
	for i := range 2 {
		st, body := p.get(t, confirmURL)
		if st != http.StatusOK {
			t.Fatalf("GET confirm link #%d: %d\n%s", i+1, st, body)
		}
		// The name typed, masked: whoever typed the address need not own it.
		for _, want := range []string{`<form method="post" action="` + action + `"`, `<button type="submit">`, `lang="hi"`, `आ<span aria-hidden="true">***</span> दे<span aria-hidden="true">***</span>`} {
			if !strings.Contains(body, want) {
				t.Errorf("GET confirm link #%d: page lacks %q", i+1, want)
			}
		}
		if strings.Contains(body, "आशा देवी") {
			t.Errorf("GET confirm link #%d: page shows the typed name in full", i+1)
		}
	}
	p.wantStats(t, optInSlug, since, 0, nil)

	// The button counts it.
	since = time.Now()
	st, thanks, body := p.post(t, confirmURL)
	if st != http.StatusSeeOther || !strings.HasPrefix(thanks, "/c/"+optInSlug+"/thanks/") || !strings.HasSuffix(thanks, "?lang=hi") {
		t.Fatalf("POST confirm: %d to %q, want 303 to the thanks page in Hindi\n%s", st, thanks, body)
	}
	p.wantStats(t, optInSlug, since, 1, map[string]int64{"N1": 1, "N2": 0, "S1": 0})
	if st, body := p.get(t, p.base+thanks); st != http.StatusOK {
		t.Errorf("GET thanks page: %d\n%s", st, body)
	}

	conf := p.waitMails(t, email, 2)[1]
	if got := conf.Header.Get("Content-Language"); got != "hi" {
		t.Errorf("confirmation mail Content-Language = %q, want hi", got)
	}
	if got := conf.Subject(); !strings.HasPrefix(got, "आपका संकल्प क्रमांक ") || !strings.HasSuffix(got, hindiTitle) {
		t.Errorf("confirmation mail subject = %q, want the Hindi one", got)
	}
	certURL := mailLink(t, conf, p.base+"/certificate/")
	withdrawURL := mailLink(t, conf, p.base+"/c/"+optInSlug+"/withdraw/")
	for _, u := range []string{certURL, withdrawURL} {
		if !strings.HasSuffix(u, "?lang=hi") {
			t.Errorf("confirmation mail link %q does not keep the language (?lang=hi)", u)
		}
	}
	st, cert := p.get(t, certURL)
	if st != http.StatusOK || !strings.Contains(cert, "आशा देवी") || strings.Contains(cert, withdrawnMarker) {
		t.Fatalf("GET certificate: %d, want 200 with the name and not withdrawn\n%s", st, cert)
	}

	// (b) Resend: ResendLimit counts the first mail, so of three asks the
	// first two are granted (303 back to the page) and the third is refused
	// kindly with 429.
	const resendEmail = "ravi@example.org"
	pendingLoc = p.submitForm(t, optInSlug, url.Values{
		"name": {"Ravi Kumar"}, "phone": {"9876500002"}, "region": {"S1"}, "email": {resendEmail}, "lang": {"en"},
	})
	if st, body := p.get(t, p.base+pendingLoc); st != http.StatusOK {
		t.Fatalf("GET pending page: %d\n%s", st, body)
	}
	path, query, _ := strings.Cut(pendingLoc, "?")
	resendURL := p.base + path + "/resend?" + query
	for i, want := range []int{http.StatusSeeOther, http.StatusSeeOther, http.StatusTooManyRequests} {
		if st, _, body := p.post(t, resendURL); st != want {
			t.Errorf("resend #%d: %d, want %d\n%s", i+1, st, want, body)
		}
	}
	resent := p.waitMails(t, resendEmail, p.cfg.ResendLimit)
	ids := map[string]bool{}
	var firstLink string
	for i, m := range resent {
		ids[m.Header.Get("Message-Id")] = true
		link := mailLink(t, m, p.base+"/c/"+optInSlug+"/confirm/")
		if i == 0 {
			firstLink = link
		} else if link != firstLink {
			t.Errorf("opt-in mail #%d links to %s, the first to %s", i+1, link, firstLink)
		}
	}
	if len(ids) != len(resent) || ids[""] {
		t.Errorf("the %d opt-in mails have Message-IDs %v, want distinct ones", len(resent), ids)
	}

	// (c) Withdrawal: the link shows a button; the button takes the pledge
	// off the counts and the certificate says so.
	since = time.Now()
	st, body = p.get(t, withdrawURL)
	if st != http.StatusOK || !strings.Contains(body, `<form method="post" action="`+strings.TrimPrefix(withdrawURL, p.base)+`"`) {
		t.Fatalf("GET withdraw link: %d, want 200 with the button\n%s", st, body)
	}
	p.wantStats(t, optInSlug, since, 1, map[string]int64{"N1": 1})
	since = time.Now()
	if st, loc, body := p.post(t, withdrawURL); st != http.StatusSeeOther || p.base+loc != withdrawURL {
		t.Fatalf("POST withdraw: %d to %q, want 303 back to the link's page\n%s", st, loc, body)
	}
	p.wantStats(t, optInSlug, since, 0, map[string]int64{"N1": 0, "N2": 0, "S1": 0})
	if st, cert := p.get(t, certURL); st != http.StatusOK || !strings.Contains(cert, withdrawnMarker) {
		t.Errorf("GET certificate after withdrawal: %d, want 200 marked %s\n%s", st, withdrawnMarker, cert)
	}

	// (e) Where the address is optional, the pledge is counted at once and
	// its confirmation mail follows.
	const optionalEmail = "meena@example.org"
	req, _ := json.Marshal(map[string]string{
		"name": "Meena Sahu", "phone": "9876500003", "region": "N2", "email": optionalEmail, "lang": "en",
	})
	st, body = p.postJSON(t, "/api/v1/campaigns/"+optionalSlug+"/pledges", req)
	if st != http.StatusCreated {
		t.Fatalf("API pledge with an email on the optional campaign: %d, want 201\n%s", st, body)
	}
	var rec receipt
	if err := json.Unmarshal([]byte(body), &rec); err != nil {
		t.Fatalf("receipt %q: %v", body, err)
	}
	m := p.waitMails(t, optionalEmail, 1)[0]
	if got, want := m.Subject(), "Your pledge #"+strconv.FormatInt(rec.Number, 10)+": Test pledge"; got != want {
		t.Errorf("confirmation mail subject = %q, want %q", got, want)
	}
	if got := m.Header.Get("Content-Language"); got != "en" {
		t.Errorf("confirmation mail Content-Language = %q, want en", got)
	}
	mailLink(t, m, p.base+"/certificate/")
	mailLink(t, m, p.base+"/c/"+optionalSlug+"/withdraw/")

	// Nothing more was sent than asked for: the mails of the first pledge,
	// the limit of the second, one of the third.
	p.wantNoMoreMail(t, map[string]int{email: 2, resendEmail: p.cfg.ResendLimit, optionalEmail: 1})
}

// testExpiry is flow (d): a pledge not confirmed within the pending TTL can
// no longer be, and was never counted.
func testExpiry(t *testing.T, p *mailPortal, ttl time.Duration) {
	const email = "late@example.org"
	made := time.Now()
	p.submitForm(t, optInSlug, url.Values{
		"name": {"Late Comer"}, "phone": {"9876500009"}, "region": {"N2"}, "email": {email}, "lang": {"en"},
	})
	confirmURL := mailLink(t, p.waitMails(t, email, 1)[0], p.base+"/c/"+optInSlug+"/confirm/")
	if time.Since(made) < ttl/2 {
		if st, body := p.get(t, confirmURL); st != http.StatusOK {
			t.Errorf("GET confirm link before it expires: %d\n%s", st, body)
		}
	} else {
		t.Logf("the opt-in mail took %v: not checking the link before it expires", time.Since(made))
	}

	// Wait for the link to expire: the page says so (404) rather than
	// offering the button.
	deadline := made.Add(ttl + 10*time.Second)
	for {
		st, body := p.get(t, confirmURL)
		if st == http.StatusNotFound {
			break
		}
		if st != http.StatusOK {
			t.Fatalf("GET confirm link: %d\n%s", st, body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("confirm link still answers 200 %v after the pledge was made (pending TTL %v)", time.Since(made), ttl)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if time.Since(made) < ttl-time.Second {
		t.Errorf("confirm link expired %v after the pledge was made; the pending TTL is %v", time.Since(made), ttl)
	}
	since := time.Now()
	if st, _, body := p.post(t, confirmURL); st != http.StatusNotFound {
		t.Errorf("POST expired confirm link: %d, want 404\n%s", st, body)
	}
	p.wantStats(t, optInSlug, since, 0, map[string]int64{"N1": 0, "N2": 0, "S1": 0})
	p.wantNoMoreMail(t, map[string]int{email: 1})
}

// mailPortal is serve running in this process for one test, with its own
// database and mail server.
type mailPortal struct {
	cfg    config.Config
	base   string
	smtp   *mailtest.Server
	client *http.Client // follows no redirects
}

// startMailPortal creates the mail campaigns in db, then runs serve on it
// with mail sent to a fresh mailtest server, adjusted by edit. serve's
// context is cancelled in t.Cleanup, which waits for it to return nil.
func startMailPortal(t *testing.T, db string, edit func(*config.Config)) *mailPortal {
	t.Helper()
	createMailCampaigns(t, db)
	smtpSrv := mailtest.NewServer(t)
	host, port := smtpSrv.Addr()
	addr := freeAddr(t)

	cfg := config.Default()
	cfg.Addr = addr
	cfg.Database = db
	cfg.Demo = false
	cfg.BaseURL = "http://" + addr
	cfg.SMTPHost, cfg.SMTPPort, cfg.SMTPTLS = host, port, "none"
	cfg.MailFrom = "pledges@example.org"
	cfg.MailRetryBase = 50 * time.Millisecond
	cfg.JobRescueAfter = 5 * time.Second
	cfg.ShutdownTimeout = 15 * time.Second
	cfg.LimitIP = 0
	cfg.DBMaxConns = 8
	if edit != nil {
		edit(&cfg)
	}

	logs := new(syncbuf.Buffer)
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, log) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v after its context ended, want nil", err)
			}
		case <-time.After(cfg.ShutdownTimeout + 10*time.Second):
			t.Errorf("serve did not return within %v of its context ending", cfg.ShutdownTimeout+10*time.Second)
		}
		if t.Failed() {
			t.Logf("serve's log (warnings and errors):\n%s", logs.String())
		}
	})

	p := &mailPortal{cfg: cfg, base: cfg.BaseURL, smtp: smtpSrv, client: newClient(t, 10*time.Second)}
	p.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("serve returned before it was ready: %v\n%s", err, logs.String())
		default:
		}
		resp, err := p.client.Get(p.base + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve not ready after 20s (last: %v)\n%s", err, logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// createMailCampaigns stores the two campaigns of the mail tests in db
// before serve starts (serve caches campaigns for seconds).
func createMailCampaigns(t *testing.T, db string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	var s store.Store
	var err error
	if postgres.IsURL(db) {
		s, err = postgres.Open(ctx, db, log, postgres.Options{MaxConns: 2, Migrate: true})
	} else {
		s, err = sqlite.Open(ctx, db, log)
	}
	if err != nil {
		t.Fatalf("open %s: %v", db, err)
	}
	defer s.Close()
	for _, c := range []struct {
		slug string
		mode pledge.EmailMode
	}{{optInSlug, pledge.EmailRequired}, {optionalSlug, pledge.EmailOptional}} {
		camp := storetest.Campaign(c.slug)
		camp.Email = c.mode
		if err := s.CreateCampaign(ctx, camp, nil); err != nil {
			t.Fatalf("create campaign %s: %v", c.slug, err)
		}
	}
}

// do sends one request and returns its status, Location and body.
func (p *mailPortal) do(t *testing.T, req *http.Request) (int, string, string) {
	t.Helper()
	resp, err := p.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func (p *mailPortal) get(t *testing.T, u string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, _, body := p.do(t, req)
	return st, body
}

// post presses a button: an empty form posted to u, same-origin as a
// browser would send it.
func (p *mailPortal) post(t *testing.T, u string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", p.base)
	return p.do(t, req)
}

func (p *mailPortal) postJSON(t *testing.T, path string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	st, _, b := p.do(t, req)
	return st, b
}

// submitForm posts the pledge form of campaign campaignSlug and returns
// where it redirected, failing unless that is a 303 to a pending page.
func (p *mailPortal) submitForm(t *testing.T, campaignSlug string, form url.Values) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.base+"/c/"+campaignSlug, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	st, loc, body := p.do(t, req)
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/c/"+campaignSlug+"/pending/") {
		t.Fatalf("POST form of %s: %d to %q, want 303 to the pending page\n%s", campaignSlug, st, loc, body)
	}
	return loc
}

// wantStats reads the campaign's public stats once they come from a read
// of the counts made after since (the counts are read at most once a
// second, and updated_at moves only when they change), and checks the
// total and the given regions.
func (p *mailPortal) wantStats(t *testing.T, campaignSlug string, since time.Time, total int64, regions map[string]int64) {
	t.Helper()
	if d := time.Until(since.Add(1100 * time.Millisecond)); d > 0 {
		time.Sleep(d)
	}
	u := p.base + "/api/v1/campaigns/" + campaignSlug + "/stats"
	st, body := p.get(t, u)
	if st != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", u, st, body)
	}
	var s struct {
		Total   int64            `json:"total"`
		Regions map[string]int64 `json:"regions"`
	}
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatalf("stats %q: %v", body, err)
	}
	if s.Total != total {
		t.Errorf("%s stats total = %d, want %d (%s)", campaignSlug, s.Total, total, body)
	}
	for code, n := range regions {
		if s.Regions[code] != n {
			t.Errorf("%s stats region %s = %d, want %d (%s)", campaignSlug, code, s.Regions[code], n, body)
		}
	}
}

// mailsTo returns the messages received for addr, oldest first.
func (p *mailPortal) mailsTo(addr string) []mailtest.Received {
	var out []mailtest.Received
	for _, m := range p.smtp.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// waitMails waits until n messages have arrived for addr and returns them.
func (p *mailPortal) waitMails(t *testing.T, addr string, n int) []mailtest.Received {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := p.mailsTo(addr)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d mails to %s arrived within 15s", len(got), n, addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wantNoMoreMail checks that exactly want[addr] mails arrived for each
// address and none for any other.
func (p *mailPortal) wantNoMoreMail(t *testing.T, want map[string]int) {
	t.Helper()
	got := map[string]int{}
	for _, m := range p.smtp.Messages() {
		for _, to := range m.To {
			got[strings.ToLower(to)]++
		}
	}
	for addr, n := range want {
		if got[addr] != n {
			t.Errorf("%d mails to %s, want %d", got[addr], addr, n)
		}
	}
	for addr, n := range got {
		if _, ok := want[addr]; !ok {
			t.Errorf("%d unexpected mails to %s", n, addr)
		}
	}
}

// urlRE finds the links of a mail's text part.
var urlRE = regexp.MustCompile(`https?://[^\s<>"]+`)

// mailLink returns the one link of m's text part that starts with prefix,
// failing the test unless there is exactly one.
func mailLink(t *testing.T, m mailtest.Received, prefix string) string {
	t.Helper()
	var found []string
	for _, u := range urlRE.FindAllString(m.Text, -1) {
		if strings.HasPrefix(u, prefix) {
			found = append(found, u)
		}
	}
	if len(found) != 1 {
		t.Fatalf("mail %q has %d links starting with %s, want 1:\n%s", m.Subject(), len(found), prefix, m.Text)
	}
	return found[0]
}
