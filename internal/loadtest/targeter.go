package loadtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// pledgeBody is the JSON body of one submitted pledge.
type pledgeBody struct {
	Name   string `json:"name"`
	Phone  string `json:"phone"`
	Email  string `json:"email,omitempty"`
	Region string `json:"region"`
	Lang   string `json:"lang"`
}

// pledgeTargeter returns a targeter that POSTs a new pledge per call: a
// fresh phone number from the seed's block, regions taken round robin. It is
// safe for concurrent use.
func pledgeTargeter(cfg Config, info campaignInfo, regions []string) vegeta.Targeter {
	var next atomic.Uint64
	u := campaignURL(cfg, "/pledges")
	lang := info.lang()
	withEmail := info.Email == "required"
	return func(t *vegeta.Target) error {
		if t == nil {
			return vegeta.ErrNilTarget
		}
		n := next.Add(1) - 1
		phone, err := PhoneNumber(cfg.Seed, n)
		if err != nil {
			return err
		}
		b := pledgeBody{
			Name:   "Load Tester " + strconv.FormatUint(n, 10),
			Phone:  phone,
			Region: regions[n%uint64(len(regions))],
			Lang:   lang,
		}
		if withEmail {
			b.Email = fmt.Sprintf("loadtest+%d.%d@example.com", cfg.Seed, n)
		}
		body, err := json.Marshal(b)
		if err != nil {
			return fmt.Errorf("loadtest: encode pledge: %w", err)
		}
		t.Method = http.MethodPost
		t.URL = u
		t.Body = body
		t.Header = http.Header{"Content-Type": []string{"application/json"}}
		return nil
	}
}

// helloTargeter returns a targeter that GETs the target's root path.
func helloTargeter(cfg Config) vegeta.Targeter {
	return vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: cfg.Target + "/"})
}
