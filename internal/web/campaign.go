package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// campaignView is the data of the campaign page.
type campaignView struct {
	Slug, Title, Text, Total string
	SoFar                    string // catalogue key of the words around Total
	RegionLabel              string // the campaign's word for a region in the page's language; empty: the catalogue's
	Open, AskEmail           bool
	EmailRequired            bool
	Groups                   []regionGroup
	Form                     pledge.Input
	Errors                   map[string]string // field -> catalogue key
	ErrorList                []fieldError      // the same, in the form's order, for the summary
	Message                  string            // catalogue key of a banner
	Refused                  bool              // the banner says why a pledge was not taken
	NotRecorded              string            // the refusal of a pledge sent to a campaign that takes none now, in words
	NameMax                  int               // the longest name accepted, for the field's maxlength
	Opens                    string            // when a campaign not open yet will open, in words
	Ended                    string            // when a campaign that has closed ended, in words
	OG                       ogTags            // the link's preview in messaging apps
}

// fieldError is one entry of the form's error summary.
type fieldError struct{ Field, Key string }

type regionGroup struct {
	Label   string
	Options []regionOption
}

type regionOption struct {
	Code, Name string
	Selected   bool
}

func (s *Server) campaignView(c *pledge.Campaign, lang string, snap *snapshot, in pledge.Input) campaignView {
	v := campaignView{
		Slug:          c.Slug,
		Title:         c.Title.In(lang, c.DefaultLang()),
		Text:          c.Pledge.In(lang, c.DefaultLang()),
		RegionLabel:   c.RegionLabel[lang], // none in lang: the catalogue's, not another language's
		Total:         s.cat.Number(lang, snap.counts.Total),
		SoFar:         soFar(snap.counts.Total),
		Open:          c.Accepting(s.now()),
		AskEmail:      c.Email == pledge.EmailOptional || c.Email == pledge.EmailRequired,
		EmailRequired: c.Email == pledge.EmailRequired,
		Form:          in,
		NameMax:       pledge.MaxNameLen,
		Errors:        map[string]string{},
	}
	// The page is cached for every request, so its own URL is given only
	// when the portal's public URL is configured, not taken from the
	// request's Host.
	v.OG = ogTags{Type: "website", Title: v.Title, Description: shorten(v.Text, ogDescriptionMax)}
	if s.deps.BaseURL != "" {
		v.OG.URL = s.deps.BaseURL + "/c/" + url.PathEscape(c.Slug) + "?lang=" + url.QueryEscape(lang)
	}
	groups := map[string]int{} // parent code -> index in v.Groups
	for _, r := range c.Leaves() {
		opt := regionOption{Code: r.Code, Name: r.Name.In(lang, c.DefaultLang()), Selected: r.Code == in.Region}
		i, ok := groups[r.Parent]
		if !ok {
			label := ""
			if p, ok := c.Region(r.Parent); ok {
				label = p.Name.In(lang, c.DefaultLang())
			}
			i = len(v.Groups)
			groups[r.Parent] = i
			v.Groups = append(v.Groups, regionGroup{Label: label})
		}
		v.Groups[i].Options = append(v.Groups[i].Options, opt)
	}
	switch why, at := whyClosed(c, s.now()); why {
	case closedEnded:
		v.Ended = s.dated(lang, "campaign_ended", at)
	case closedNotOpen:
		v.Opens = s.dated(lang, "campaign_opens", at)
	}
	return v
}

// Why a campaign takes no pledges, as whyClosed says it.
const (
	closedEnded   = "ended" // its closing time has passed
	closedNotOpen = "opens" // its opening time has not come
)

// whyClosed says whether campaign c takes no pledges at now because it has
// ended (closedEnded, and when) or has not opened yet (closedNotOpen, and
// when it opens); "" otherwise: open, or paused (a paused campaign that has
// not opened yet is told as paused).
func whyClosed(c *pledge.Campaign, now time.Time) (string, time.Time) {
	switch {
	case !c.ClosesAt.IsZero() && !now.Before(c.ClosesAt):
		return closedEnded, c.ClosesAt
	case !c.Paused && now.Before(c.OpensAt):
		return closedNotOpen, c.OpensAt
	}
	return "", time.Time{}
}

// dated is the catalogue's text key in lang with its {date} at.
func (s *Server) dated(lang, key string, at time.Time) string {
	return strings.Replace(s.cat.T(lang, key), "{date}", pledge.FormatIST(lang, at), 1)
}

// soFar is the catalogue key of the words after a count of n pledges.
func soFar(n int64) string {
	if n == 1 {
		return "pledge_so_far"
	}
	return "pledges_so_far"
}

// campaignPage shows the pledge and the form. Pages are rendered once per
// (campaign, language, counts snapshot) and served from memory.
func (s *Server) campaignPage(w http.ResponseWriter, r *http.Request) error {
	slug := r.PathValue("slug")
	c, err := s.campaigns.get(r.Context(), slug)
	if errors.Is(err, pledge.ErrNotFound) && strings.ToLower(slug) != slug {
		return s.campaignAlias(w, r)
	}
	if err != nil {
		return err
	}
	snap, err := s.counts.get(r.Context(), c)
	if err != nil {
		return err
	}
	lang, explicit := pickLang(r, c.Languages)
	key := c.Slug + "\x00" + lang
	page := s.pages.get(key, c, snap)
	if page == nil {
		v := s.campaignView(c, lang, snap, pledge.Input{})
		body, err := s.renderBytes("campaign", s.newPage(r, lang, c.Languages, v.Title, v))
		if err != nil {
			return err
		}
		page = s.pages.put(key, c, snap, body)
	}
	publicCache(w, explicit)
	page.serve(w, r, "text/html; charset=utf-8")
	return nil
}

// campaignAlias sends a link typed or passed on a little wrong (in
// capitals, with a trailing slash) to its campaign's page, where there is
// such a campaign. Slugs are lower case, so no page is ever hidden by it.
func (s *Server) campaignAlias(w http.ResponseWriter, r *http.Request) error {
	c, err := s.campaigns.get(r.Context(), strings.ToLower(r.PathValue("slug")))
	if err != nil {
		return err
	}
	to := "/c/" + url.PathEscape(c.Slug)
	if r.URL.RawQuery != "" {
		to += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, to, http.StatusMovedPermanently)
	return nil
}

// campaignForm takes a pledge from the HTML form: 303 to the thank-you page
// on success (to the page that says to check the mail when the pledge waits
// for its address to be confirmed), the form again with its errors otherwise.
func (s *Server) campaignForm(w http.ResponseWriter, r *http.Request) error {
	c, err := s.campaigns.get(r.Context(), r.PathValue("slug"))
	if err != nil {
		return err
	}
	in, err := decodeForm(w, r)
	if err != nil {
		if c.HasLang(in.Lang) { // the refusal in the form's language
			err = withLang(in.Lang, err)
		}
		return err
	}
	lang := in.Lang
	if !c.HasLang(lang) {
		lang, _ = pickLang(r, c.Languages)
		in.Lang = lang
	}
	var sub pledge.Submission
	if s.deps.Intake.Admit() { // once the form is read: a slow sender holds no place, and a refused form comes back filled in
		defer s.deps.Intake.Release()
		err = s.admitClient(w, r)
	} else {
		err = fmt.Errorf("pledge not admitted: %w", pledge.ErrOverloaded)
	}
	if err == nil {
		if sub, err = pledge.Prepare(c, in, s.deps.Hasher, s.now()); err != nil {
			s.rejected()
		}
	}
	if err == nil {
		sub.Source, sub.RequestID = s.client.of(r), pledge.RequestID(r.Context())
		err = s.admitPhone(w, r, sub)
	}
	if err == nil {
		var rec pledge.Receipt
		rec, c, err = s.submit(r.Context(), c, in, sub)
		if err == nil {
			return s.toReceipt(w, r, c, sub, rec, lang)
		}
		if rec, ok := s.againFromPledger(r, c, sub, err); ok {
			// The same browser and number again (a second tap, a resent
			// form): back to its certificate, or to the page that says
			// to check the mail, rather than a refusal.
			return s.toReceipt(w, r, c, sub, rec, lang)
		}
	}
	err = duplicateIn(c, sub, err)
	st, key := status(err)
	if st == http.StatusInternalServerError || st == http.StatusNotFound {
		return err
	}
	snap, cerr := s.counts.get(r.Context(), c)
	if cerr != nil {
		return cerr
	}
	duplicate := st == http.StatusConflict
	if duplicate {
		// A kind refusal that shows nothing of the earlier entry; but where
		// a shared address may be what pledged, the form is kept to send
		// again without it.
		if !errors.Is(err, errDuplicateEither) {
			in = pledge.Input{}
		}
		st = http.StatusOK
	}
	v := s.campaignView(c, lang, snap, in)
	v.Message, v.Refused = key, st >= http.StatusBadRequest
	if errors.Is(err, pledge.ErrClosed) {
		// Said as a refusal of this pledge, in the place of the page's own
		// line on the campaign, which thanks everyone who pledged.
		v.Message, v.NotRecorded = "", s.notRecorded(c, lang)
	}
	var verr *pledge.ValidationError
	title := v.Title
	if errors.As(err, &verr) {
		v.Message = "form_has_errors"
		for _, f := range verr.Fields {
			v.Errors[f.Field] = f.Key
		}
		for _, f := range [...]string{"name", "phone", "email", "region"} { // the form's order
			if key, ok := v.Errors[f]; ok {
				v.ErrorList = append(v.ErrorList, fieldError{Field: f, Key: key})
			}
		}
	}
	// The title is the first thing a screen reader says of the page: it
	// says the pledge was not taken.
	switch {
	case duplicate:
		title = s.cat.T(lang, "duplicate_title") + ": " + title
	case v.Refused && (v.Message != "" || v.NotRecorded != ""):
		title = s.cat.T(lang, "error_title") + " " + title
	}
	if st == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	s.render(w, r, st, "campaign", s.newPage(r, lang, c.Languages, title, v))
	return nil
}

// notRecorded says in lang that a pledge sent to campaign c was not
// recorded, and why: c has ended, has not opened yet, or is paused.
func (s *Server) notRecorded(c *pledge.Campaign, lang string) string {
	why, at := whyClosed(c, s.now())
	if why == "" {
		return s.cat.T(lang, "not_recorded_closed")
	}
	return s.dated(lang, "not_recorded_"+why, at)
}

// toReceipt sends the browser that made sub to rec's page and leaves the
// receipt cookie that finds it again.
func (s *Server) toReceipt(w http.ResponseWriter, r *http.Request, c *pledge.Campaign, sub pledge.Submission, rec pledge.Receipt, lang string) error {
	to, err := s.receiptPath(c, rec, lang)
	if err != nil {
		return err
	}
	s.rememberReceipt(w, r, c, sub, rec)
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// receiptPath is where the form sends a citizen after rec: the thank-you
// page of a counted pledge, the pending page of one that waits for its
// address to be confirmed.
func (s *Server) receiptPath(c *pledge.Campaign, rec pledge.Receipt, lang string) (string, error) {
	if rec.Pending == 0 {
		return s.thanksPath(c, rec.Number, lang), nil
	}
	if s.links.Pending == nil {
		return "", errors.New("web: a pledge waits for confirmation but Deps.Links is not set")
	}
	return s.links.PendingPath(c.Slug, c.ID, rec.Pending) + "?lang=" + url.QueryEscape(lang), nil
}

// decodeForm reads the pledge form strictly: urlencoded, bounded, one value
// per field. When it refuses a form whose lang it could read, the Input it
// returns holds that lang alone, for the refusal's page.
func decodeForm(w http.ResponseWriter, r *http.Request) (pledge.Input, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return pledge.Input{}, errUnsupportedMedia
	}
	// Only the body counts: the URL's query (tracking tags and the like) is
	// neither read nor able to fail the post.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFormBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return pledge.Input{}, mbe
		}
		return pledge.Input{}, errors.Join(errBadRequest, err)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return pledge.Input{Lang: form.Get("lang")}, errors.Join(errBadRequest, err)
	}
	return formInput(form)
}

func formInput(f url.Values) (pledge.Input, error) {
	for k, vs := range f {
		if len(vs) > 1 {
			return pledge.Input{Lang: f.Get("lang")}, errors.Join(errBadRequest, errors.New("field "+k+" given twice"))
		}
	}
	return pledge.Input{
		Name:   f.Get("name"),
		Phone:  f.Get("phone"),
		Region: f.Get("region"),
		Email:  f.Get("email"),
		Lang:   f.Get("lang"),
	}, nil
}

// submit hands sub, prepared from in against c, to intake. When the store
// refuses it because an edit took away one of c's regions meanwhile
// (pledge.ErrRegionsChanged), it reloads the campaigns and prepares in
// again against the campaign as it is now: still valid, it is handed over
// once more; naming a region that is gone, it gets the validation error.
// It returns the campaign the answer was checked against.
func (s *Server) submit(ctx context.Context, c *pledge.Campaign, in pledge.Input, sub pledge.Submission) (pledge.Receipt, *pledge.Campaign, error) {
	rec, err := s.deps.Intake.Submit(ctx, s.expiring(sub))
	if !errors.Is(err, pledge.ErrRegionsChanged) {
		return rec, c, err
	}
	fresh, err := s.campaigns.newer(ctx, c.Slug)
	if err != nil {
		return pledge.Receipt{}, c, fmt.Errorf("%w: %w", pledge.ErrRegionsChanged, err)
	}
	again, err := pledge.Prepare(fresh, in, s.deps.Hasher, s.now())
	if err != nil {
		s.rejected()
		return pledge.Receipt{}, fresh, err
	}
	again.Source, again.RequestID = sub.Source, sub.RequestID
	rec, err = s.deps.Intake.Submit(ctx, s.expiring(again))
	return rec, fresh, err
}

// expiring returns sub, when it will wait for confirmation, with the time
// before which pending pledges have expired: their links already say so,
// and the number and address they hold are free for it at once.
func (s *Server) expiring(sub pledge.Submission) pledge.Submission {
	if sub.Pending {
		sub.ExpiredBefore = sub.CreatedAt.Add(-s.pendingTTL)
	}
	return sub
}
