package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

var storetestHasher = pledge.NewHasher([]byte("storetest campaign admin secret"))

func testCampaignPausedGoal(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := Campaign("paused")
	c.Paused, c.Goal = true, 500
	if err := s.CreateCampaign(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	mustCampaign(t, s, "plain")
	got, err := s.Campaign(ctx, "paused")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Paused || got.Goal != 500 {
		t.Errorf("Campaign: Paused, Goal = %v, %d; want true, 500", got.Paused, got.Goal)
	}
	list, err := s.Campaigns(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("Campaigns = %d, %v; want 2", len(list), err)
	}
	if !list[0].Paused || list[0].Goal != 500 || list[1].Paused || list[1].Goal != 0 {
		t.Errorf("Campaigns: (%v, %d), (%v, %d); want (true, 500), (false, 0)", list[0].Paused, list[0].Goal, list[1].Paused, list[1].Goal)
	}
}

func testCampaignUpdate(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaign(t, s, "edit-me")
	mustCommit(t, s, []pledge.Submission{Submission(storetestHasher, c.ID, 1, "N1")})

	want := *c
	want.Slug = "ignored-new-slug" // the slug never changes
	want.Languages = []string{"hi", "en"}
	want.Title = pledge.Text{"en": "New title", "hi": "नया शीर्षक"}
	want.Pledge = pledge.Text{"en": "I will plant a tree.", "hi": "मैं पेड़ लगाऊँगा।"}
	want.Email = pledge.EmailOptional
	want.OpensAt = time.Date(2025, 2, 3, 4, 5, 6, 0, time.UTC)
	want.ClosesAt = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	want.Goal = 1000
	want.RegionLabel = pledge.Text{"en": "Ward", "hi": "वार्ड"}
	want.Regions = []pledge.Region{
		{Code: "S2", Name: pledge.Text{"en": "South Two", "hi": "दक्षिण दो"}},                   // new
		{Code: "NORTH", Name: pledge.Text{"en": "North", "hi": "उत्तर"}},                        // kept
		{Code: "N1", Parent: "NORTH", Name: pledge.Text{"en": "Renamed One", "hi": "नाम बदला"}}, // renamed, has a pledge
		// N2 and S1 (no pledges) removed
	}
	if err := s.UpdateCampaign(ctx, &want, nil); err != nil {
		t.Fatalf("UpdateCampaign: %v", err)
	}
	if _, err := s.Campaign(ctx, "ignored-new-slug"); !errors.Is(err, pledge.ErrNotFound) {
		t.Errorf("Campaign(new slug) = %v, want ErrNotFound", err)
	}
	got, err := s.Campaign(ctx, "edit-me")
	if err != nil {
		t.Fatal(err)
	}
	want.Slug = "edit-me"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after UpdateCampaign (-want +got):\n%s", diff)
	}
	// The pledge is still counted, under the renamed region.
	counts, err := s.Counts(ctx, c.ID)
	if err != nil || counts.Total != 1 || counts.Regions["N1"] != 1 {
		t.Errorf("Counts = %+v, %v; want 1 in N1", counts, err)
	}
	// Updating back to open works, and region order follows the list.
	got.ClosesAt = time.Time{}
	if err := s.UpdateCampaign(ctx, &got, nil); err != nil {
		t.Fatal(err)
	}
	again, _ := s.Campaign(ctx, "edit-me")
	if !again.ClosesAt.IsZero() {
		t.Errorf("after reopening: ClosesAt %v", again.ClosesAt)
	}
}

// testCampaignSetPaused: pausing changes nothing else, and an edit made
// from a copy read before the pause (an admin's form, a region import)
// does not undo it.
func testCampaignSetPaused(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaign(t, s, "pause-me")
	before, err := s.Campaign(ctx, "pause-me")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetPaused(ctx, c.ID, true, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Campaign(ctx, "pause-me")
	want := before
	want.Paused = true
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after SetPaused (-want +got):\n%s", diff)
	}
	stale := before // read before the pause
	stale.Goal = 42
	if err := s.UpdateCampaign(ctx, &stale, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Campaign(ctx, "pause-me"); !got.Paused || got.Goal != 42 {
		t.Errorf("after an edit from a stale copy: Paused %v, Goal %d; want true, 42", got.Paused, got.Goal)
	}
	if err := s.SetPaused(ctx, c.ID, false, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Campaign(ctx, "pause-me"); got.Paused {
		t.Error("still paused after SetPaused(false)")
	}
	if err := s.SetPaused(ctx, 999999, true, nil); !errors.Is(err, pledge.ErrNotFound) {
		t.Errorf("SetPaused of no campaign = %v, want ErrNotFound", err)
	}
}

func testCampaignUpdateRegionInUse(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaign(t, s, "in-use")
	mustCommit(t, s, []pledge.Submission{Submission(storetestHasher, c.ID, 1, "N2")})
	before, _ := s.Campaign(ctx, "in-use")

	edit := *c
	edit.Title = pledge.Text{"en": "Changed", "hi": "बदला"}
	edit.Regions = []pledge.Region{c.Regions[0], c.Regions[1], c.Regions[3]} // N2 left out
	err := s.UpdateCampaign(ctx, &edit, nil)
	if !errors.Is(err, pledge.ErrRegionInUse) || !strings.Contains(err.Error(), "N2") {
		t.Fatalf("UpdateCampaign without N2 = %v, want ErrRegionInUse naming N2", err)
	}
	// N2 becoming a parent is refused as well.
	edit.Regions = append([]pledge.Region{}, c.Regions...)
	edit.Regions = append(edit.Regions, pledge.Region{Code: "N2A", Parent: "N2", Name: pledge.Text{"en": "a", "hi": "a"}})
	edit.Regions[2].Parent = "" // N2 top-level, so N2A is two levels
	if err := s.UpdateCampaign(ctx, &edit, nil); !errors.Is(err, pledge.ErrRegionInUse) {
		t.Fatalf("UpdateCampaign making N2 a parent = %v, want ErrRegionInUse", err)
	}
	after, _ := s.Campaign(ctx, "in-use")
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("refused update changed the campaign (-before +after):\n%s", diff)
	}
}

func testCampaignUpdateNotFound(t *testing.T, s store.Store) {
	c := Campaign("ghost")
	c.ID = 987654
	if err := s.UpdateCampaign(context.Background(), c, nil); !errors.Is(err, pledge.ErrNotFound) {
		t.Errorf("UpdateCampaign(unknown ID) = %v, want ErrNotFound", err)
	}
}

func testCampaignUpdateInvalid(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaign(t, s, "valid")
	edit := *c
	edit.Title = pledge.Text{"en": ""}
	edit.Goal = -1
	if err := s.UpdateCampaign(ctx, &edit, nil); err == nil {
		t.Fatal("UpdateCampaign accepted an invalid campaign")
	}
	got, _ := s.Campaign(ctx, "valid")
	if got.Title["en"] != c.Title["en"] {
		t.Errorf("invalid update changed the title to %q", got.Title["en"])
	}
}

// testCertificateText: the certificate's heading and signatory are saved by
// UpdateCampaign and can be cleared again.
func testCertificateText(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaign(t, s, "cert-text")
	c.CertificateTitle = pledge.Text{"en": "Voter's Pledge", "hi": "मतदाता संकल्प पत्र"}
	c.Signatory = pledge.Text{"en": "Collector, Bilaspur", "hi": "कलेक्टर, बिलासपुर"}
	if err := s.UpdateCampaign(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.Campaign(ctx, "cert-text")
	if err != nil {
		t.Fatal(err)
	}
	if got.Signatory["hi"] != "कलेक्टर, बिलासपुर" || got.CertificateTitle["en"] != "Voter's Pledge" {
		t.Fatalf("after UpdateCampaign: title %v, signatory %v", got.CertificateTitle, got.Signatory)
	}
	got.CertificateTitle, got.Signatory = nil, nil
	if err := s.UpdateCampaign(ctx, &got, nil); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Campaign(ctx, "cert-text"); again.CertificateTitle != nil || again.Signatory != nil {
		t.Fatalf("cleared texts came back: %v %v", again.CertificateTitle, again.Signatory)
	}
}

// testRegionLabel: a campaign's region label is stored with it, read back
// by Campaign and Campaigns, changed and cleared by UpdateCampaign; a
// campaign created without one reads none.
func testRegionLabel(t *testing.T, s store.Store) {
	ctx := context.Background()
	plain := mustCampaign(t, s, "no-label")
	c := Campaign("district")
	c.RegionLabel = pledge.Text{"en": "District", "hi": "ज़िला"}
	if err := s.CreateCampaign(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	label := func(slug string) pledge.Text {
		t.Helper()
		got, err := s.Campaign(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		return got.RegionLabel
	}
	if got := label("district"); !cmp.Equal(got, c.RegionLabel) {
		t.Errorf("after CreateCampaign: region label %v, want %v", got, c.RegionLabel)
	}
	if got := label("no-label"); got != nil {
		t.Errorf("a campaign created without a region label reads %v", got)
	}
	list, err := s.Campaigns(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("Campaigns = %d, %v; want 2", len(list), err)
	}
	if list[0].RegionLabel != nil || !cmp.Equal(list[1].RegionLabel, c.RegionLabel) {
		t.Errorf("Campaigns: region labels %v, %v; want none, then %v", list[0].RegionLabel, list[1].RegionLabel, c.RegionLabel)
	}

	// Hindi only: English falls back to the portal's wording.
	c.RegionLabel = pledge.Text{"hi": "वार्ड"}
	if err := s.UpdateCampaign(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	if got := label("district"); !cmp.Equal(got, pledge.Text{"hi": "वार्ड"}) {
		t.Errorf("after UpdateCampaign: region label %v, want only hi वार्ड", got)
	}
	c.RegionLabel = nil
	if err := s.UpdateCampaign(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	if got := label("district"); got != nil {
		t.Errorf("a cleared region label came back: %v", got)
	}
	// A campaign created without one is given one.
	plain.RegionLabel = pledge.Text{"en": "Ward"}
	if err := s.UpdateCampaign(ctx, plain, nil); err != nil {
		t.Fatal(err)
	}
	if got := label("no-label"); !cmp.Equal(got, pledge.Text{"en": "Ward"}) {
		t.Errorf("after UpdateCampaign: region label %v, want en Ward", got)
	}
	// An invalid label is refused by both writes.
	bad := Campaign("bad-label")
	bad.RegionLabel = pledge.Text{"en": "Ward\u202e"}
	if err := s.CreateCampaign(ctx, bad, nil); err == nil {
		t.Error("CreateCampaign accepted a region label with a direction override")
	}
	plain.RegionLabel = pledge.Text{"en": strings.Repeat("W", pledge.MaxRegionLabel+1)}
	if err := s.UpdateCampaign(ctx, plain, nil); err == nil {
		t.Error("UpdateCampaign accepted a region label over 60 characters")
	}
}
