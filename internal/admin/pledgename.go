package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// Kinds of audit log entries for one pledge: its name corrected, and it
// shown to an admin.
const (
	KindPledgeName = pledge.KindPledgeName
	KindPledgeView = "pledge-view"
)

// maxNameReason is the longest reason a name correction may give, in
// characters (as the form's maxlength counts them): a short note, such as
// "typo, confirmed by phone".
const maxNameReason = 200

// nameMessages word, for the console, the refusals of a name that
// pledge.NormaliseName gives (the citizen's pages translate the same keys).
var nameMessages = map[string]string{
	pledge.MsgNameRequired:  "Type the name.",
	pledge.MsgNameTooLong:   fmt.Sprintf("The name is too long: at most %d characters.", pledge.MaxNameLen),
	pledge.MsgNameInvalid:   "The name has characters that are not allowed (control or formatting characters, or too many marks on one letter).",
	pledge.MsgNameLetters:   "The name may have letters only: no emoji or symbols, and only scripts the certificate can print.",
	pledge.MsgNameNoLetters: "The name must have letters, not only digits or punctuation.",
}

// pledgeView is the page of one pledge found by its number.
type pledgeView struct {
	Slug, Title string
	Query       string // the number as typed, kept in the search field
	Problem     string // why no pledge is shown: not a number, no such pledge
	Found       bool
	Number      int64
	Name        string
	PhoneMasked string
	Region      string
	At          string // when it was made, as the console writes times
	State       string // counted, invalidated, withdrawn
	Correctable bool   // counted: its name can be corrected
	Form        nameForm
	Done        string // what the last correction did, shown once
}

// nameForm is the name correction form, as sent.
type nameForm struct {
	Name, Reason string
	Errors       []string
}

// pledgeNumber reads a certificate number as typed: digits, perhaps after
// a "#", at least 1.
func pledgeNumber(s string) (int64, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "#")
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, false
	}
	return n, true
}

// pledgePath is the console's page of pledge number of campaign slug.
func pledgePath(slug string, number int64) string {
	return "/admin/c/" + slug + "/pledge?number=" + strconv.FormatInt(number, 10)
}

// findPledge shows an admin the pledge whose certificate number ?number=
// gives: number, name, masked mobile number, region, time and state, with
// the form that corrects its name. Each pledge shown is recorded in the
// audit log (pledge-view), as an export of the pledges is.
func (a *Admin) findPledge(w http.ResponseWriter, r *http.Request) error {
	c, err := a.store.Campaign(r.Context(), r.PathValue("slug"))
	if err != nil {
		return fmt.Errorf("find pledge: %w", err)
	}
	q := r.URL.Query().Get("number")
	number, ok := pledgeNumber(q)
	if !ok {
		v := pledgeBase(&c, q)
		v.Problem = "Type a certificate number, such as 1234."
		a.render(w, r, http.StatusUnprocessableEntity, "pledge", a.newPage(r, "Find a pledge", v))
		return nil
	}
	v, st, err := a.pledgeView(r, &c, number)
	if err != nil {
		return err
	}
	if v.Found { // a citizen's name shown: on record, as an export is
		act := a.campaignAction(r, c.Slug, KindPledgeView, fmt.Sprintf("%s #%d", c.Slug, number))
		if err := logAction(r.Context(), a.store, a.now, act); err != nil {
			return err
		}
	}
	v.Done = a.takeNotice(r, c.Slug)
	a.render(w, r, st, "pledge", a.newPage(r, pledgeTitle(v), v))
	return nil
}

// pledgeBase is the page of campaign c before any pledge is read.
func pledgeBase(c *pledge.Campaign, query string) pledgeView {
	return pledgeView{Slug: c.Slug, Title: c.Title.In("en", c.DefaultLang()), Query: query}
}

// pledgeTitle is the title of the page v.
func pledgeTitle(v pledgeView) string {
	if v.Found {
		return fmt.Sprintf("Pledge #%d", v.Number)
	}
	return "Find a pledge"
}

// pledgeView reads pledge number of c into its page, with the status the
// page answers with: 404 when there is no such pledge.
func (a *Admin) pledgeView(r *http.Request, c *pledge.Campaign, number int64) (pledgeView, int, error) {
	v := pledgeBase(c, strconv.FormatInt(number, 10))
	p, err := a.store.Pledge(r.Context(), c.ID, number)
	if errors.Is(err, pledge.ErrNotFound) {
		v.Problem = fmt.Sprintf("There is no pledge #%d in this campaign.", number)
		switch last, err := a.store.LastNumber(r.Context(), c.ID); {
		case err == nil && last == 0:
			v.Problem += " It has no pledges yet."
		case err == nil:
			v.Problem += fmt.Sprintf(" Its pledges are numbered 1 to %d.", last)
		}
		return v, http.StatusNotFound, nil
	}
	if err != nil {
		return v, 0, fmt.Errorf("find pledge %s #%d: %w", c.Slug, number, err)
	}
	region, _ := c.Region(p.Region)
	v.Found, v.Number, v.Name, v.PhoneMasked = true, p.Number, p.Name, p.PhoneMasked
	v.Region = region.Name.In("en", c.DefaultLang()) + " (" + p.Region + ")"
	v.At = consoleTime(p.CreatedAt)
	switch {
	case p.Withdrawn():
		v.State = "withdrawn by its citizen on " + consoleTime(p.WithdrawnAt) + ": not counted"
	case p.Invalidated:
		v.State = "invalidated: not counted"
	default:
		v.State, v.Correctable = "counted", true
	}
	v.Form.Name = p.Name
	return v, http.StatusOK, nil
}

// correctPledgeName gives a pledge the name the form sends, with the
// reason it gives, recorded in the audit log in the same transaction. The
// name goes through the check a pledge's name goes through; a refused one
// changes nothing and the form comes back as typed, saying why.
func (a *Admin) correctPledgeName(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := a.store.Campaign(ctx, r.PathValue("slug"))
	if err != nil {
		return fmt.Errorf("correct name: %w", err)
	}
	number, ok := pledgeNumber(r.PathValue("number"))
	if !ok {
		return errNotFound
	}
	f := nameForm{Name: r.PostForm.Get("name"), Reason: strings.TrimSpace(r.PostForm.Get("reason"))}
	switch {
	case f.Reason == "":
		f.Errors = append(f.Errors, "Give a reason: what was wrong, and who asked for the correction.")
	case utf8.RuneCountInString(f.Reason) > maxNameReason:
		f.Errors = append(f.Errors, fmt.Sprintf("The reason may be at most %d characters.", maxNameReason))
	}
	if len(f.Errors) == 0 {
		act := a.campaignAction(r, c.Slug, KindPledgeName, fmt.Sprintf("%s #%d; reason: %s", c.Slug, number, f.Reason))
		res, err := a.store.CorrectName(ctx, c.ID, number, f.Name, 0, act)
		var fe *pledge.FieldError
		switch {
		case err == nil && !res.Changed():
			a.setNotice(r, c.Slug, fmt.Sprintf("The name was already %q: nothing changed.", res.New))
			http.Redirect(w, r, pledgePath(c.Slug, number), http.StatusSeeOther)
			return nil
		case err == nil:
			a.setNotice(r, c.Slug, fmt.Sprintf("Pledge #%d's name corrected from %q to %q. Its certificate and verification page show the new name now.", number, res.Old, res.New))
			http.Redirect(w, r, pledgePath(c.Slug, number), http.StatusSeeOther)
			return nil
		case errors.As(err, &fe):
			f.Errors = append(f.Errors, nameMessages[fe.Key])
		case errors.Is(err, pledge.ErrNotFound):
			// Withdrawn or invalidated since the page was read, or never
			// there: the page as it is now says which.
		default:
			return fmt.Errorf("correct name of %s #%d: %w", c.Slug, number, err)
		}
	}
	v, st, err := a.pledgeView(r, &c, number)
	if err != nil {
		return err
	}
	if st == http.StatusOK {
		st = http.StatusUnprocessableEntity
		if !v.Correctable {
			st = http.StatusConflict
			v.Problem = "Nothing was changed: this pledge is not counted any more, so its name cannot be corrected."
		}
	}
	v.Form = f
	a.render(w, r, st, "pledge", a.newPage(r, pledgeTitle(v), v))
	return nil
}
