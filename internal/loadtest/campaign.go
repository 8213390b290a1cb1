package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// campaignInfo is the part of GET /api/v1/campaigns/{slug} a test needs.
type campaignInfo struct {
	Slug      string   `json:"slug"`
	Open      bool     `json:"open"`
	Languages []string `json:"languages"`
	Regions   []struct {
		Code   string `json:"code"`
		Parent string `json:"parent"`
	} `json:"regions"`
	// Email is "none", "optional" or "required" if the server says.
	Email string `json:"email"`
}

// leaves returns the codes of the regions a pledge can be counted in: those
// that are no other region's parent.
func (c campaignInfo) leaves() []string {
	parents := make(map[string]bool)
	for _, r := range c.Regions {
		if r.Parent != "" {
			parents[r.Parent] = true
		}
	}
	var out []string
	for _, r := range c.Regions {
		if r.Code != "" && !parents[r.Code] {
			out = append(out, r.Code)
		}
	}
	return out
}

// lang returns "en" if the campaign is written in English, else its
// default language.
func (c campaignInfo) lang() string {
	if len(c.Languages) == 0 || slices.Contains(c.Languages, "en") {
		return "en"
	}
	return c.Languages[0]
}

// campaignURL returns the API URL of the campaign, with suffix appended.
func campaignURL(cfg Config, suffix string) string {
	return cfg.Target + "/api/v1/campaigns/" + url.PathEscape(cfg.Campaign) + suffix
}

// fetchCampaign reads the campaign's details.
func fetchCampaign(ctx context.Context, hc *http.Client, cfg Config) (campaignInfo, error) {
	var c campaignInfo
	if err := getJSON(ctx, hc, campaignURL(cfg, ""), &c); err != nil {
		return c, fmt.Errorf("campaign %q: %w", cfg.Campaign, err)
	}
	return c, nil
}

// fetchTotal reads the campaign's public pledge total. A query no one else
// sends keeps a proxy's cache (deploy/nginx.conf keeps the stats for a
// second) from answering: only the instance's own second-long cache is
// left, which settle waits out.
func fetchTotal(ctx context.Context, hc *http.Client, cfg Config) (int64, error) {
	var s struct {
		Total *int64 `json:"total"`
	}
	u := campaignURL(cfg, "/stats") + "?fresh=" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if err := getJSON(ctx, hc, u, &s); err != nil {
		return 0, fmt.Errorf("stats of %q: %w", cfg.Campaign, err)
	}
	if s.Total == nil {
		return 0, fmt.Errorf("stats of %q: %w", cfg.Campaign, errors.New("no total in response"))
	}
	return *s.Total, nil
}

// getJSON GETs u and decodes a 200 JSON response into v.
func getJSON(ctx context.Context, hc *http.Client, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("new request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("GET %s: read body: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %s", u, resp.Status)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: decode: %w", u, err)
	}
	return nil
}
