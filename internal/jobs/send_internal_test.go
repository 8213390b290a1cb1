package jobs

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/mail"
)

// failing answers every send with a temporary failure.
type failing struct{}

func (failing) Send(context.Context, mail.Message) error { return errors.New("451 try again later") }

// TestSendSaysWhenMailIsLost: a failure with tries left is a warning that
// it will be retried; on the last try it is an error that the mail is
// dropped (even while the worker stops); while the worker stops with tries
// left, neither.
func TestSendSaysWhenMailIsLost(t *testing.T) {
	d := mail.Data{Kind: mail.KindConfirmation, Lang: "en", CampaignTitle: "Vote", Number: 1,
		CertificateURL: "https://x/c", WithdrawURL: "https://x/w"}
	stopped, stop := context.WithCancel(context.Background())
	stop()
	timedOut, cancel := context.WithDeadline(context.Background(), time.Now())
	defer cancel()
	for _, tc := range []struct {
		ctx  context.Context
		last bool
		want string
	}{
		{context.Background(), false, `level=WARN msg="mail not sent, will retry"`},
		{context.Background(), true, `level=ERROR msg="mail not sent, and no try is left: it is dropped"`},
		{stopped, false, `level=INFO msg="mail not sent: stopping, will retry"`},
		{stopped, true, `level=ERROR msg="mail not sent, and no try is left: it is dropped"`}, // dropped all the same
		{timedOut, false, `level=WARN msg="mail not sent, will retry"`},                       // the job's time ran out
	} {
		var logs bytes.Buffer
		p := Params{Sender: failing{}, Log: slog.New(slog.NewTextHandler(&logs, nil))}
		if err := send(tc.ctx, p, d, "asha@example.org", "<1@x>", "req-1", tc.last); err == nil {
			t.Fatal("send of a failing mail returned nil")
		}
		if !strings.Contains(logs.String(), tc.want) || !strings.Contains(logs.String(), "request_id=req-1") {
			t.Errorf("last %v, ctx err %v: log %q, want %q with the request", tc.last, tc.ctx.Err(), logs.String(), tc.want)
		}
		if strings.Contains(logs.String(), "asha@") {
			t.Error("the log names the recipient")
		}
	}
}
