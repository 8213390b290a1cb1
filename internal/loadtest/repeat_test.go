package loadtest

import (
	"bytes"
	"context"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
)

func TestRunRepeat(t *testing.T) {
	t.Parallel()
	fp := &fakePortal{initial: 5}
	srv := newFakePortal(t, fp)
	rep, err := Run(context.Background(), Config{
		Target: srv.URL, Campaign: "test-camp", Rate: 500, Duration: 1500 * time.Millisecond, Seed: 12, Repeat: 0.2,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	fp.mu.Lock()
	defer fp.mu.Unlock()
	if fp.badReq+fp.badPhone+fp.badName != 0 {
		t.Errorf("server refused %d requests, %d numbers, %d names", fp.badReq, fp.badPhone, fp.badName)
	}
	share := float64(rep.Repeats) / float64(rep.Requests)
	t.Logf("%d requests, %d repeats (%.3f), codes %v", rep.Requests, rep.Repeats, share, rep.StatusCodes)
	if math.Abs(share-0.2) > 0.05 {
		t.Errorf("repeat share %.3f, want 0.2 ± 0.05", share)
	}
	// Every repeat is answered 409 and counted as a duplicate, not an error.
	if rep.Duplicates != rep.Repeats || fp.dups != rep.Repeats || rep.StatusCodes["409"] != rep.Repeats {
		t.Errorf("Duplicates %d, server 409s %d, repeats %d", rep.Duplicates, fp.dups, rep.Repeats)
	}
	if rep.Other != 0 || rep.Shed != 0 || rep.Success+rep.Duplicates != rep.Requests || rep.Failures != rep.Duplicates {
		t.Errorf("Success %d Duplicates %d Other %d Shed %d Failures %d of %d",
			rep.Success, rep.Duplicates, rep.Other, rep.Shed, rep.Failures, rep.Requests)
	}
	// Stats moved by the 201s alone.
	if int64(rep.Success) != fp.created || len(fp.stored) != rep.Success ||
		!rep.CountMatches || rep.StoredAfter-rep.StoredBefore != int64(rep.Success) {
		t.Errorf("Success %d, created %d, stored %d -> %d, matches %t",
			rep.Success, fp.created, rep.StoredBefore, rep.StoredAfter, rep.CountMatches)
	}
	// Below a share of one half no number is sent more than twice, and the
	// repeats write numbers in other forms than the first submissions.
	for p, n := range fp.sent {
		if n > 2 {
			t.Errorf("number %s sent %d times", p, n)
		}
	}
	if len(fp.forms) <= len(fp.sent) {
		t.Errorf("%d written forms for %d numbers: repeats reuse the first form", len(fp.forms), len(fp.sent))
	}
	if fp.langs["hi"] == 0 || fp.langs["en"] == 0 {
		t.Errorf("languages sent: %v", fp.langs)
	}
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"repeat share 20%",
		"duplicate " + strconv.Itoa(rep.Repeats) + " (" + strconv.Itoa(rep.Repeats) + " repeats sent)",
		"count check:  ok (stats moved by exactly the " + strconv.Itoa(rep.Success) + " acknowledged pledges)",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}

// TestRunShed: 503 with Retry-After is shed load, not an error; a repeat
// of a shed pledge may be accepted, and the check still holds.
func TestRunShed(t *testing.T) {
	t.Parallel()
	fp := &fakePortal{shedN: 7}
	srv := newFakePortal(t, fp)
	rep, err := Run(context.Background(), Config{
		Target: srv.URL, Campaign: "test-camp", Rate: 300, Duration: time.Second, Seed: 13, Repeat: 0.1,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.Shed == 0 || rep.Shed != rep.StatusCodes["503"] || rep.Other != 0 {
		t.Errorf("Shed %d, Other %d, codes %v", rep.Shed, rep.Other, rep.StatusCodes)
	}
	if len(rep.Errors) != 0 {
		t.Errorf("Errors = %q: 409 and shed 503 are no errors", rep.Errors)
	}
	if rep.Success+rep.Duplicates+rep.Shed != rep.Requests || !rep.CountMatches {
		t.Errorf("Success %d + Duplicates %d + Shed %d != Requests %d, or matches %t",
			rep.Success, rep.Duplicates, rep.Shed, rep.Requests, rep.CountMatches)
	}
}

// TestRunCountsDuplicates: a portal whose stats count the 409s too fails
// the check, which expects growth by the 201s only.
func TestRunCountsDuplicates(t *testing.T) {
	t.Parallel()
	fp := &fakePortal{countDups: true}
	srv := newFakePortal(t, fp)
	rep, err := Run(context.Background(), Config{
		Target: srv.URL, Campaign: "test-camp", Rate: 300, Duration: 700 * time.Millisecond, Seed: 14, Repeat: 0.2,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.Duplicates == 0 || rep.CountMatches {
		t.Fatalf("Duplicates %d, CountMatches %t; want >0, false", rep.Duplicates, rep.CountMatches)
	}
	if got, want := rep.StoredAfter-rep.StoredBefore, int64(rep.Success+rep.Duplicates); got != want {
		t.Errorf("stats moved by %d, want %d", got, want)
	}
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := "count check:  MISMATCH (stats moved by +" + strconv.Itoa(rep.Success+rep.Duplicates) + ", acknowledged " + strconv.Itoa(rep.Success) + ")"
	if !strings.Contains(b.String(), want) || !strings.HasSuffix(rep.ResultLine(), "count_matches=false") {
		t.Errorf("report lacks %q:\n%s%s", want, b.String(), rep.ResultLine())
	}
}

func TestGeneratorReplay(t *testing.T) {
	t.Parallel()
	info := campaignInfo{Languages: []string{"en", "hi"}}
	cfg := Config{Seed: 99, Repeat: 0.3}
	a := newGenerator(cfg, info, []string{"A", "B", "C"})
	b := newGenerator(cfg, info, []string{"A", "B", "C"})
	first := make(map[string]pledgeBody) // normalised number -> first submission
	repeats := 0
	for i := range 3000 {
		pa, ra, err := a.next()
		if err != nil {
			t.Fatal(err)
		}
		pb, rb, _ := b.next()
		if pa != pb || ra != rb {
			t.Fatalf("call %d: %+v (%t) and %+v (%t) from the same seed", i, pa, ra, pb, rb)
		}
		num, err := pledge.NormalisePhone(pa.Phone)
		if err != nil {
			t.Fatalf("call %d: phone %q: %v", i, pa.Phone, err)
		}
		orig, seen := first[num]
		switch {
		case ra && !seen:
			t.Fatalf("call %d: repeat of %s never sent before", i, num)
		case !ra && seen:
			t.Fatalf("call %d: fresh pledge reuses %s", i, num)
		case ra:
			repeats++
			if orig.Phone == pa.Phone || orig.Name != pa.Name || orig.Region != pa.Region || orig.Lang != pa.Lang {
				t.Errorf("call %d: repeat %+v of %+v: want same person, number written differently", i, pa, orig)
			}
		default:
			first[num] = pa
		}
	}
	if repeats != a.repeated() || math.Abs(float64(repeats)/3000-0.3) > 0.03 {
		t.Errorf("%d repeats in 3000 (counter %d), want about 900", repeats, a.repeated())
	}
}
