// Package storetest is the one conformance suite every store backend passes,
// plus the fixture builders tests across the project share.
package storetest

import (
	"fmt"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// Campaign returns a valid, open, two-level campaign named slug: one parent
// region "NORTH" with leaves "N1" and "N2", and a top-level leaf "S1".
func Campaign(slug string) *pledge.Campaign {
	return &pledge.Campaign{
		Slug:      slug,
		Languages: []string{"en", "hi"},
		Title:     pledge.Text{"en": "Test pledge", "hi": "परीक्षण संकल्प"},
		Pledge:    pledge.Text{"en": "I will vote.", "hi": "मैं मतदान करूँगा।"},
		Regions: []pledge.Region{
			{Code: "NORTH", Name: pledge.Text{"en": "North", "hi": "उत्तर"}},
			{Code: "N1", Parent: "NORTH", Name: pledge.Text{"en": "North One", "hi": "उत्तर एक"}},
			{Code: "N2", Parent: "NORTH", Name: pledge.Text{"en": "North Two", "hi": "उत्तर दो"}},
			{Code: "S1", Name: pledge.Text{"en": "South One", "hi": "दक्षिण एक"}},
		},
		OpensAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		Email:   pledge.EmailNone,
	}
}

// Leaves are the regions of Campaign that take pledges.
var Leaves = []string{"N1", "N2", "S1"}

// Submission returns a valid submission to campaign id from the i-th distinct
// mobile number, in region.
func Submission(h *pledge.Hasher, campaignID int64, i int, region string) pledge.Submission {
	phone := fmt.Sprintf("+919%09d", i)
	return pledge.Submission{
		CampaignID:  campaignID,
		Name:        fmt.Sprintf("Citizen %d", i),
		PhoneHash:   h.Sum(phone),
		PhoneMasked: pledge.MaskPhone(phone),
		Region:      region,
		Lang:        "en",
		CreatedAt:   time.Now().UTC().Truncate(time.Microsecond),
	}
}
