package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// demoSlug names the campaign created on first start.
const demoSlug = "bilaspur-voter-pledge"

// demoCampaign is a voter-awareness pledge for Bilaspur district,
// Chhattisgarh, counted by assembly constituency.
func demoCampaign() *pledge.Campaign {
	region := func(code, en, hi string) pledge.Region {
		return pledge.Region{Code: code, Parent: "BILASPUR-DIST", Name: pledge.Text{"en": en, "hi": hi}}
	}
	return &pledge.Campaign{
		Slug:      demoSlug,
		Languages: []string{"en", "hi"},
		Title: pledge.Text{
			"en": "Bilaspur Voter Pledge",
			"hi": "बिलासपुर मतदाता संकल्प",
		},
		Pledge: pledge.Text{
			"en": "We, the citizens of India, having abiding faith in democracy, hereby pledge to uphold " +
				"the democratic traditions of our country and the dignity of free, fair and peaceful " +
				"elections, and to vote in every election fearlessly and without being influenced by " +
				"considerations of religion, race, caste, community, language or any inducement.",
			"hi": "हम, भारत के नागरिक, लोकतंत्र में अपनी पूर्ण आस्था रखते हुए यह संकल्प लेते हैं कि हम अपने " +
				"देश की लोकतांत्रिक परम्पराओं की मर्यादा को बनाए रखेंगे तथा स्वतंत्र, निष्पक्ष एवं शांतिपूर्ण " +
				"निर्वाचन की गरिमा को अक्षुण्ण रखते हुए, निर्भीक होकर, धर्म, वर्ग, जाति, समुदाय, भाषा अथवा " +
				"अन्य किसी भी प्रलोभन से प्रभावित हुए बिना सभी निर्वाचनों में अपने मताधिकार का प्रयोग करेंगे।",
		},
		Regions: []pledge.Region{
			{Code: "BILASPUR-DIST", Name: pledge.Text{"en": "Bilaspur district", "hi": "बिलासपुर ज़िला"}},
			region("KOTA", "Kota", "कोटा"),
			region("TAKHATPUR", "Takhatpur", "तखतपुर"),
			region("BILHA", "Bilha", "बिल्हा"),
			region("BILASPUR", "Bilaspur", "बिलासपुर"),
			region("BELTARA", "Beltara", "बेलतरा"),
			region("MASTURI", "Masturi", "मस्तूरी"),
		},
		OpensAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		Email:   pledge.EmailNone,
	}
}

// ensureDemo creates the demo campaign when the database has no campaign.
func ensureDemo(ctx context.Context, s store.Store, log *slog.Logger) error {
	list, err := s.Campaigns(ctx)
	if err != nil {
		return err
	}
	if len(list) > 0 {
		return nil
	}
	err = s.CreateCampaign(ctx, demoCampaign(), nil)
	if errors.Is(err, pledge.ErrDuplicate) { // another instance was first
		return nil
	}
	if err != nil {
		return fmt.Errorf("create demo campaign: %w", err)
	}
	log.Info("created the demo campaign", "slug", demoSlug, "path", "/c/"+demoSlug)
	return nil
}
