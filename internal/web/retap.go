package web

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// A pledge that waits for its address to be confirmed has no number the
// store can find by the mobile number (Store.NumberByPhone finds counted
// pledges only, and the store offers no lookup of a pending pledge by
// number). So that the very same form sent again without the cookie, a
// double tap on a slow link, still leads to its "check your mail" page,
// each instance remembers for retapWindow the pending pledges its form
// took, by the form, and takes the same form one at a time: a second tap
// waits for the first's answer rather than racing it. A second tap that
// another instance answers gets the refusal, as before.

// maxRecentPending bounds the pending pledges remembered: at the busiest,
// a few thousand forms a minute over retapWindow. Past it, no more are
// remembered until older ones have aged out.
const maxRecentPending = 50_000

// formKey names one form: campaign, number (its keyed hash), name and
// region. It holds nothing readable of them.
type formKey [sha256.Size]byte

// pendingForms is the memory of pending pledges taken through the form.
type pendingForms struct {
	mu   sync.Mutex
	took map[formKey]tookPending
	busy map[formKey]chan struct{} // forms being submitted: closed when answered
}

// tookPending is a pending pledge taken, and when.
type tookPending struct {
	id int64
	at time.Time
}

func newPendingForms() *pendingForms {
	return &pendingForms{took: map[formKey]tookPending{}, busy: map[formKey]chan struct{}{}}
}

// pendingFormKey is the key of the form sub was prepared from.
func pendingFormKey(sub pledge.Submission) formKey {
	h := sha256.New()
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(sub.CampaignID)))
	h.Write(sub.PhoneHash)
	h.Write([]byte{0})
	h.Write([]byte(sub.Name))
	h.Write([]byte{0})
	h.Write([]byte(sub.Region))
	var k formKey
	h.Sum(k[:0])
	return k
}

// begin waits, until ctx ends, while the same form is being submitted by
// another request, then marks it as being submitted. The caller calls the
// function it returns once it has remembered the answer.
func (f *pendingForms) begin(ctx context.Context, k formKey) (done func()) {
	for {
		f.mu.Lock()
		ch, ok := f.busy[k]
		if !ok {
			ch = make(chan struct{})
			f.busy[k] = ch
			f.mu.Unlock()
			return func() {
				f.mu.Lock()
				delete(f.busy, k)
				f.mu.Unlock()
				close(ch)
			}
		}
		f.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return func() {} // submitted all the same: the store decides
		}
	}
}

// remember records that the form k took pending pledge id at now,
// forgetting the pledges older than retapWindow when the memory is full.
func (f *pendingForms) remember(k formKey, id int64, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.took) >= maxRecentPending {
		for key, t := range f.took {
			if now.Sub(t.at) > retapWindow {
				delete(f.took, key)
			}
		}
		if len(f.took) >= maxRecentPending {
			return
		}
	}
	f.took[k] = tookPending{id: id, at: now}
}

// recent returns the pending pledge the form k took within retapWindow
// before now.
func (f *pendingForms) recent(k formKey, now time.Time) (int64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.took[k]
	if !ok || now.Sub(t.at) > retapWindow {
		return 0, false
	}
	return t.id, true
}
