package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/mail"
	"github.com/pledgeportal/pledge/internal/mail/mailtest"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

func smtpSender(t testing.TB) (*mailtest.Server, mail.Sender) {
	srv := mailtest.NewServer(t)
	s, err := mail.NewSMTP(srv.Config(), discard)
	if err != nil {
		t.Fatal(err)
	}
	return srv, s
}

// tokenAfter returns the token that follows prefix in text, or fails.
func tokenAfter(t testing.TB, text, prefix string) string {
	t.Helper()
	i := strings.Index(text, prefix)
	if i < 0 {
		t.Fatalf("no %q in:\n%s", prefix, text)
	}
	tok := text[i+len(prefix):]
	if j := strings.IndexFunc(tok, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}); j >= 0 {
		tok = tok[:j]
	}
	return tok
}

// TestConfirmationMail: a counted pledge with an address gets one mail in
// its language whose links lead to its own certificate and withdrawal.
func TestConfirmationMail(t *testing.T) {
	backends(t, func(t *testing.T, open func(testing.TB) store.Store) {
		srv, sender := smtpSender(t)
		e := newEnv(t, open(t), sender)
		c := e.campaign(t, "optional", pledge.EmailOptional)
		r := e.submit(t, c, 1, "asha@example.org", "hi")
		got := srv.WaitFor(t, 1, 20*time.Second)[0]
		if got.To[0] != "asha@example.org" {
			t.Errorf("sent to %v", got.To)
		}
		if lang := got.Header.Get("Content-Language"); lang != "hi" {
			t.Errorf("Content-Language = %q, want hi", lang)
		}
		if !strings.Contains(got.Subject(), "मतदान बिलासपुर") {
			t.Errorf("subject %q lacks the Hindi title", got.Subject())
		}
		cert := tokenAfter(t, got.Text, "https://pledge.example.org/certificate/")
		if id, n, err := e.links.Certificate.Decode(cert); err != nil || id != c.ID || n != r.Number {
			t.Errorf("certificate link decodes to %d/%d (%v), want %d/%d", id, n, err, c.ID, r.Number)
		}
		w := tokenAfter(t, got.Text, "https://pledge.example.org/c/optional/withdraw/")
		if id, n, err := e.links.Withdraw.Decode(w); err != nil || id != c.ID || n != r.Number {
			t.Errorf("withdraw link decodes to %d/%d (%v), want %d/%d", id, n, err, c.ID, r.Number)
		}
		if !strings.Contains(got.HTML, "/certificate/"+cert) {
			t.Error("the HTML part lacks the certificate link")
		}
		if id := got.Header.Get("Message-Id"); id != fmt.Sprintf("<pledge.confirmation.%d.%d@pledge.example.org>", c.ID, r.Number) {
			t.Errorf("Message-ID = %q", id)
		}
	})
}

// TestOptInThenConfirmation: a pending pledge gets the opt-in mail; its
// link confirms it, which sends the confirmation mail.
func TestOptInThenConfirmation(t *testing.T) {
	backends(t, func(t *testing.T, open func(testing.TB) store.Store) {
		srv, sender := smtpSender(t)
		e := newEnv(t, open(t), sender)
		c := e.campaign(t, "required", pledge.EmailRequired)
		r := e.submit(t, c, 7, "ravi@example.org", "en")
		if r.Pending == 0 || r.Number != 0 {
			t.Fatalf("receipt %+v, want pending", r)
		}
		optin := srv.WaitFor(t, 1, 20*time.Second)[0]
		if !strings.Contains(optin.Subject(), "confirm") {
			t.Errorf("opt-in subject %q", optin.Subject())
		}
		tok := tokenAfter(t, optin.Text, "https://pledge.example.org/c/required/confirm/")
		id, pid, err := e.links.Confirm.Decode(tok)
		if err != nil || id != c.ID || pid != r.Pending {
			t.Fatalf("confirm link decodes to %d/%d (%v), want %d/%d", id, pid, err, c.ID, r.Pending)
		}
		got, err := e.store.Confirm(context.Background(), id, pid, time.Now())
		if err != nil || got.Number != 1 {
			t.Fatalf("Confirm = %+v, %v", got, err)
		}
		all := srv.WaitFor(t, 2, 20*time.Second)
		if !strings.Contains(all[1].Text, "https://pledge.example.org/certificate/") {
			t.Errorf("second mail is not the confirmation:\n%s", all[1].Text)
		}
		// Whoever typed an address need not own it: no mail repeats what
		// was typed (the name, here "Citizen 7"), which would let anyone
		// send words of their own under the office's name.
		for _, m := range all {
			if strings.Contains(m.Text+m.HTML, "Citizen 7") {
				t.Errorf("mail %q repeats the typed name", m.Subject())
			}
		}
	})
}

// TestMailServerDownThenBack: while the mail server refuses, intake goes on
// and the mails wait; when it is back every mail arrives, none twice.
func TestMailServerDownThenBack(t *testing.T) {
	backends(t, func(t *testing.T, open func(testing.TB) store.Store) {
		srv, sender := smtpSender(t)
		srv.FailTemporarily(true)
		e := newEnv(t, open(t), sender)
		c := e.campaign(t, "down", pledge.EmailOptional)
		const n = 20
		for i := 1; i <= n; i++ {
			e.submit(t, c, i, fmt.Sprintf("c%d@example.org", i), "en")
		}
		time.Sleep(500 * time.Millisecond) // let the first tries fail
		if got := len(srv.Messages()); got != 0 {
			t.Fatalf("%d messages arrived while the server refused", got)
		}
		srv.FailTemporarily(false)
		srv.WaitFor(t, n, 60*time.Second)
		time.Sleep(time.Second) // any duplicate would arrive now
		seen := map[string]int{}
		for _, m := range srv.Messages() {
			seen[m.To[0]]++
		}
		for i := 1; i <= n; i++ {
			if to := fmt.Sprintf("c%d@example.org", i); seen[to] != 1 {
				t.Errorf("%s got %d mails, want 1", to, seen[to])
			}
		}
		if len(seen) != n {
			t.Errorf("%d recipients, want %d", len(seen), n)
		}
	})
}

// TestNoConfirmationForInvalidatedPledge: a pledge an admin invalidates
// while its mail still waits (the server refused it, the retry has not come)
// gets no "your pledge is counted"; the others' mails go out.
func TestNoConfirmationForInvalidatedPledge(t *testing.T) {
	backends(t, func(t *testing.T, open func(testing.TB) store.Store) {
		srv, sender := smtpSender(t)
		srv.FailTemporarily(true)
		s := open(t)
		e := newEnv(t, s, sender)
		c := e.campaign(t, "set-aside", pledge.EmailOptional)
		e.submit(t, c, 1, "bot@example.org", "en") // region Leaves[1]
		e.submit(t, c, 2, "citizen@example.org", "en")
		waitDeferred(t, srv, 2)
		// A try that read the pledge before the invalidation and reaches the
		// server after it is back would send; a mail already on its way
		// cannot be called back. Stopping the workers lets such a try end.
		e.stop(t)
		if _, err := s.Invalidate(context.Background(), c.ID, pledge.InvalidationFilter{Region: storetest.Leaves[1]}, "bot wave", "admin", nil); err != nil {
			t.Fatal(err)
		}
		srv.FailTemporarily(false)
		newEnv(t, s, sender)
		srv.WaitFor(t, 1, 60*time.Second)
		time.Sleep(time.Second) // a mail for the invalidated pledge would come now
		if got := srv.Messages(); len(got) != 1 || got[0].To[0] != "citizen@example.org" {
			var to []string
			for _, m := range got {
				to = append(to, m.To[0])
			}
			t.Errorf("mail went to %v, want only citizen@example.org", to)
		}
	})
}

// TestNoOptInMailAfterItsLinkExpired: an opt-in mail still waiting (the
// server refusing for now) when its link expires is not sent: it would
// announce a deadline gone by and link to "this link has expired".
func TestNoOptInMailAfterItsLinkExpired(t *testing.T) {
	srv, sender := smtpSender(t)
	srv.FailTemporarily(true)
	s := openSQLite(t)
	e := newEnv(t, s, sender, withTTL(2*time.Second))
	late := e.campaign(t, "late", pledge.EmailRequired)
	counted := e.campaign(t, "counted", pledge.EmailOptional)
	r := e.submit(t, late, 1, "late@example.org", "en")
	e.submit(t, counted, 2, "control@example.org", "en")
	waitDeferred(t, srv, 2)
	e.stop(t)                           // no try that read the link while it was valid is still on its way
	time.Sleep(2500 * time.Millisecond) // past the link's 2 s
	srv.FailTemporarily(false)
	// Without the expiry, which a new client runs at once: the pending
	// pledge stays, and only the mail job's own check can hold its mail.
	newEnv(t, s, sender, withTTL(2*time.Second), withoutPeriodic())
	srv.WaitFor(t, 1, 60*time.Second)
	time.Sleep(2 * time.Second) // the opt-in mail, retried alongside, would come now
	for _, m := range srv.Messages() {
		if m.To[0] != "control@example.org" {
			t.Errorf("a mail went to %s after its link expired", m.To[0])
		}
	}
	if _, err := s.Pending(context.Background(), late.ID, r.Pending); err != nil {
		t.Errorf("the pending pledge is gone (%v): its mail was held by the expiry, not by the mail job", err)
	}
}

// TestPermanentRefusalIsNotRetried: an address the server refuses for good
// gets no retries; others still get their mail.
func TestPermanentRefusalIsNotRetried(t *testing.T) {
	srv, sender := smtpSender(t)
	counting := &countingSender{Sender: sender}
	srv.RefuseRecipient("bad@example.org")
	e := newEnv(t, openSQLite(t), counting)
	c := e.campaign(t, "refused", pledge.EmailOptional)
	e.submit(t, c, 1, "bad@example.org", "en")
	time.Sleep(time.Second) // retries would come every 20ms, 40ms, ...
	e.submit(t, c, 2, "good@example.org", "en")
	got := srv.WaitFor(t, 1, 20*time.Second)
	if got[0].To[0] != "good@example.org" {
		t.Errorf("delivered to %v", got[0].To)
	}
	if n := counting.count("bad@example.org"); n != 1 {
		t.Errorf("refused address tried %d times, want 1", n)
	}
}

// TestExpiry: the periodic job removes pending pledges past their time and
// leaves younger ones.
func TestExpiry(t *testing.T) {
	backends(t, func(t *testing.T, open func(testing.TB) store.Store) {
		s := open(t)
		h := pledge.NewHasher([]byte(secret))
		c := (&env{store: s, hasher: h}).campaign(t, "expiry", pledge.EmailRequired)
		old := (&env{store: s, hasher: h}).submitAt(t, c, 1, time.Now().Add(-2*time.Hour))
		young := (&env{store: s, hasher: h}).submitAt(t, c, 2, time.Now())
		newEnv(t, s, nil, withTTL(time.Hour)) // runs the expiry on start
		deadline := time.Now().Add(20 * time.Second)
		for {
			_, err := s.Pending(context.Background(), c.ID, old.Pending)
			if err != nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the old pending pledge was not expired")
			}
			time.Sleep(50 * time.Millisecond)
		}
		if _, err := s.Pending(context.Background(), c.ID, young.Pending); err != nil {
			t.Errorf("the young pending pledge: %v", err)
		}
	})
}

func (e *env) submitAt(t testing.TB, c *pledge.Campaign, i int, at time.Time) pledge.Receipt {
	t.Helper()
	sub := pledge.Submission{
		CampaignID: c.ID, Name: fmt.Sprintf("P %d", i), PhoneHash: e.hasher.Sum(fmt.Sprint("p", i)),
		PhoneMasked: "******0000", Email: fmt.Sprintf("p%d@example.org", i), Region: "N1", Lang: "en",
		CreatedAt: at.UTC().Truncate(time.Microsecond), Pending: true, EmailHash: e.hasher.Sum(fmt.Sprint("e", i)),
	}
	res, err := e.store.CommitBatch(context.Background(), []pledge.Submission{sub})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res[0].Err)
	}
	return res[0].Receipt
}

// TestMailBatchRunsOnce: running a batch's job again (a retry, or a rerun
// after a crash) sends no mail twice.
func TestMailBatchRunsOnce(t *testing.T) {
	backends(t, func(t *testing.T, open func(testing.TB) store.Store) {
		srv, sender := smtpSender(t)
		e := newEnv(t, open(t), sender)
		c := e.campaign(t, "once", pledge.EmailOptional)
		var numbers []int64
		for i := 1; i <= 3; i++ {
			numbers = append(numbers, e.submit(t, c, i, fmt.Sprintf("o%d@example.org", i), "en").Number)
		}
		srv.WaitFor(t, 3, 20*time.Second)
		again := store.MailJobs(pledge.MailBatchArgs{CampaignID: c.ID, Numbers: numbers})
		if err := e.store.EnqueueJobs(context.Background(), again); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		if n := len(srv.Messages()); n != 3 {
			t.Errorf("%d mails after the batch ran again, want 3", n)
		}
	})
}

// TestRequestIDReachesTheMailJob: the ID of the request that brought a
// pledge is carried by its mail job, through the batch's job, into the
// worker's log lines.
func TestRequestIDReachesTheMailJob(t *testing.T) {
	backends(t, func(t *testing.T, open func(testing.TB) store.Store) {
		srv, sender := smtpSender(t)
		srv.RefuseRecipient("refused@example.org")
		var logs syncLog
		e := newEnv(t, open(t), sender, func(s *settings) {
			s.params.Log = slog.New(slog.NewJSONHandler(&logs, nil))
		})
		c := e.campaign(t, "reqid", pledge.EmailOptional)
		sub := storetest.Submission(e.hasher, c.ID, 1, "N1")
		sub.Email, sub.RequestID = "refused@example.org", "req-7f3a"
		if res, err := e.store.CommitBatch(context.Background(), []pledge.Submission{sub}); err != nil || res[0].Err != nil {
			t.Fatal(err, res[0].Err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(logs.String(), `"request_id":"req-7f3a"`) {
			if time.Now().After(deadline) {
				t.Fatalf("no log line names the request:\n%s", logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		// A mail put off by the server: its warning names the kind and
		// the request too.
		srv.FailTemporarily(true)
		later := storetest.Submission(e.hasher, c.ID, 2, "N1")
		later.Email, later.RequestID = "later@example.org", "req-9b1c"
		if res, err := e.store.CommitBatch(context.Background(), []pledge.Submission{later}); err != nil || res[0].Err != nil {
			t.Fatal(err, res[0].Err)
		}
		var retry map[string]any
		for retry == nil {
			if time.Now().After(deadline) {
				t.Fatalf("no retry warning names the request:\n%s", logs.String())
			}
			for line := range strings.Lines(logs.String()) {
				var l map[string]any
				if json.Unmarshal([]byte(line), &l) == nil && l["msg"] == "mail not sent, will retry" && l["request_id"] == "req-9b1c" {
					retry = l
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		if retry["level"] != "WARN" || retry["kind"] != "confirmation" || retry["message_id"] == "" {
			t.Errorf("retry line = %v, want a warning with the kind and message ID", retry)
		}
		if strings.Contains(logs.String(), "refused@example.org") || strings.Contains(logs.String(), "later@example.org") {
			t.Error("the log names the recipient")
		}
	})
}
