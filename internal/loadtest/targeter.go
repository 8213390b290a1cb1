package loadtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
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

// generator makes the pledges of one run. Each fresh pledge is a new
// identity: the next phone number of the seed's block, a name, a region
// among the campaign's leaves and the language matching the name's script.
// A repeat submits an earlier identity again with its number written
// another way, as a person pledging twice would; the portal must answer
// 409. Every choice is a function of the seed, so a run can be replayed.
type generator struct {
	seed     int64
	repeat   float64
	regions  []string
	langs    []string
	lang     string // when the campaign lacks the name's language
	withMail bool

	mu      sync.Mutex
	calls   uint64 // pledges generated
	fresh   uint64 // identities issued
	repeats uint64 // repeats generated
}

func newGenerator(cfg Config, info campaignInfo, regions []string) *generator {
	return &generator{
		seed:     cfg.Seed,
		repeat:   cfg.Repeat,
		regions:  regions,
		langs:    info.Languages,
		lang:     info.lang(),
		withMail: info.Email == "required",
	}
}

// next returns the next pledge and whether it repeats an earlier one. It
// is safe for concurrent use.
func (g *generator) next() (pledgeBody, bool, error) {
	g.mu.Lock()
	n := g.calls
	g.calls++
	// The k-th repeat submits identity k mod fresh: for shares up to one
	// half each identity is repeated at most once, long after it was sent.
	repeat := g.fresh > 0 && g.repeat > 0 && unit(g.seed, n, saltRepeat) < g.repeat
	var id uint64
	if repeat {
		id = g.repeats % g.fresh
		g.repeats++
	} else {
		id = g.fresh
		g.fresh++
	}
	g.mu.Unlock()

	b, phone, err := g.identity(id)
	if err != nil {
		return b, false, err
	}
	if repeat {
		// Another written form than the first submission's.
		shift := 1 + int(mix(g.seed, n, saltRepeatForm)%uint64(PhoneForms-1))
		b.Phone = FormatPhone(phone, g.form(id)+shift)
	}
	return b, repeat, nil
}

// identity returns the pledge of identity id as first submitted, and its
// number as PhoneNumber gives it.
func (g *generator) identity(id uint64) (pledgeBody, string, error) {
	phone, err := PhoneNumber(g.seed, id)
	if err != nil {
		return pledgeBody{}, "", err
	}
	name, script := Name(g.seed, id)
	b := pledgeBody{
		Name:   name,
		Phone:  FormatPhone(phone, g.form(id)),
		Region: g.regions[mix(g.seed, id, saltRegion)%uint64(len(g.regions))],
		Lang:   nameLang(script, g.langs, g.lang),
	}
	if g.withMail {
		b.Email = fmt.Sprintf("loadtest+%d.%d@example.com", g.seed, id)
	}
	return b, phone, nil
}

// form returns the written form of identity id's first submission.
func (g *generator) form(id uint64) int {
	return int(mix(g.seed, id, saltForm) % uint64(PhoneForms))
}

// repeated returns how many repeats have been generated.
func (g *generator) repeated() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return int(g.repeats)
}

// pledgeTargeter returns a targeter that POSTs g's pledges to the
// campaign. It is safe for concurrent use.
func pledgeTargeter(cfg Config, g *generator) vegeta.Targeter {
	u := campaignURL(cfg, "/pledges")
	return func(t *vegeta.Target) error {
		if t == nil {
			return vegeta.ErrNilTarget
		}
		b, _, err := g.next()
		if err != nil {
			return err
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

// counting wraps tr to count in sent the targets it hands out, that is the
// requests started.
func counting(tr vegeta.Targeter, sent *atomic.Uint64) vegeta.Targeter {
	return func(t *vegeta.Target) error {
		sent.Add(1)
		return tr(t)
	}
}
