package admin

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// Kinds of audit log entries for campaigns.
const (
	KindCampaignCreate = "campaign-create"
	KindCampaignEdit   = "campaign-edit"
	KindCampaignPause  = "campaign-pause"
	KindCampaignResume = "campaign-resume"
	KindRegionsImport  = "regions-import"
)

// consoleLangs are the languages a campaign can be written in.
var consoleLangs = []string{"en", "hi"}

// localLayout is the format of an <input type="datetime-local">.
const localLayout = "2006-01-02T15:04"

// langText is one language's texts on the campaign form.
type langText struct {
	Lang, Title, Pledge  string
	RegionLabel          string // what the citizen's pages call a region; optional
	CertTitle, Signatory string // what the certificate says; optional
	On                   bool
	Errors               []string // about the title and pledge text
	LabelErrors          []string // about the region label
}

// campaignForm is the data of the new-campaign and edit pages.
type campaignForm struct {
	New      bool
	Slug     string
	Langs    []langText
	Default  string // the default language chosen: Campaign.Languages[0]
	OpensAt  string
	ClosesAt string
	Email    string
	Goal     string
	Regions  string // CSV text, new campaigns only
	Version  int64  // of the campaign the form was filled from; 0 for a new one
	// CloseNow: the box "Close the campaign now" is ticked, saying that a
	// closing time already past is meant. AskClose: the box is offered,
	// beside the refusal of such a time.
	CloseNow, AskClose bool
	Errors             map[string][]string
	Problems           bool
	// Loaded are the values of the campaign the edit form was filled from,
	// sent back in hidden fields so that a save after another merges
	// field by field (mergeEdit).
	Loaded url.Values
	// Others are the changes another save made after the form was opened,
	// old → new; Conflicts the fields both saves changed, to different
	// values (shown when a save meets another).
	Others, Conflicts []string
}

func (f *campaignForm) add(field, msg string) {
	if f.Errors == nil {
		f.Errors = make(map[string][]string)
	}
	f.Errors[field] = append(f.Errors[field], msg)
	f.Problems = true
}

// FieldNotes reports whether any note belongs to a field, not the whole
// form.
func (f campaignForm) FieldNotes() bool {
	for field := range f.Errors {
		if field != "form" {
			return true
		}
	}
	for _, lt := range f.Langs {
		if len(lt.Errors) > 0 || len(lt.LabelErrors) > 0 {
			return true
		}
	}
	return false
}

// formOf fills the form from a stored campaign.
func formOf(c *pledge.Campaign) campaignForm {
	f := campaignForm{Slug: c.Slug, Email: string(c.Email), OpensAt: localTime(c.OpensAt), ClosesAt: localTime(c.ClosesAt),
		Version: c.Version, Default: c.DefaultLang()}
	if c.Goal > 0 {
		f.Goal = strconv.FormatInt(c.Goal, 10)
	}
	for _, l := range consoleLangs {
		f.Langs = append(f.Langs, langText{Lang: l, Title: c.Title[l], Pledge: c.Pledge[l], RegionLabel: c.RegionLabel[l],
			CertTitle: c.CertificateTitle[l], Signatory: c.Signatory[l], On: c.HasLang(l)})
	}
	return f
}

// editedVersion is the campaign version a console form was filled from (its
// hidden "version" field), or current if it has none; errBadRequest if the
// field is not a version, which no form of the console sends.
func editedVersion(r *http.Request, current int64) (int64, error) {
	v := r.PostForm.Get("version")
	if v == "" {
		return current, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("version %q: %w", v, errBadRequest)
	}
	return n, nil
}

func localTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(pledge.IST).Format(localLayout)
}

// readCampaignForm reads the form pf into f and onto c (slug only when
// f.New), recording what cannot be parsed; c's regions are left alone. A
// language left unticked keeps its texts in f, for a form that comes back,
// but not in c.
func readCampaignForm(pf url.Values, f *campaignForm, c *pledge.Campaign) {
	if f.New {
		f.Slug = strings.TrimSpace(pf.Get("slug"))
		c.Slug = f.Slug
	}
	chosen := map[string]bool{}
	for _, l := range pf["lang"] {
		chosen[l] = true
	}
	var stored string // the default of the campaign edited
	if len(c.Languages) > 0 {
		stored = c.DefaultLang()
	}
	c.Languages, c.Title, c.Pledge = nil, pledge.Text{}, pledge.Text{}
	c.CertificateTitle, c.Signatory, c.RegionLabel = nil, nil, nil
	f.Langs = nil
	for _, l := range consoleLangs {
		lt := langText{Lang: l, On: chosen[l],
			Title:       strings.TrimSpace(pf.Get("title_" + l)),
			Pledge:      strings.TrimSpace(strings.ReplaceAll(pf.Get("pledge_"+l), "\r\n", "\n")),
			RegionLabel: strings.TrimSpace(pf.Get("region_label_" + l)),
			CertTitle:   strings.TrimSpace(pf.Get("certificate_title_" + l)),
			Signatory:   strings.TrimSpace(pf.Get("signatory_" + l))}
		f.Langs = append(f.Langs, lt)
		if lt.On {
			c.Languages = append(c.Languages, l)
			c.Title[l], c.Pledge[l] = lt.Title, lt.Pledge
			c.RegionLabel = withText(c.RegionLabel, l, lt.RegionLabel)
			c.CertificateTitle = withText(c.CertificateTitle, l, lt.CertTitle)
			c.Signatory = withText(c.Signatory, l, lt.Signatory)
		}
	}
	readDefaultLang(f, c, strings.TrimSpace(pf.Get("default_lang")), stored)
	f.OpensAt, f.ClosesAt = strings.TrimSpace(pf.Get("opens_at")), strings.TrimSpace(pf.Get("closes_at"))
	f.CloseNow = pf.Get("close_now") == "yes"
	if t, err := time.ParseInLocation(localLayout, f.OpensAt, pledge.IST); err == nil {
		c.OpensAt = t.UTC()
	} else {
		f.add("opens_at", "opening time must be a date and time (YYYY-MM-DDTHH:MM, IST)")
	}
	c.ClosesAt = time.Time{}
	if f.ClosesAt != "" {
		if t, err := time.ParseInLocation(localLayout, f.ClosesAt, pledge.IST); err == nil {
			c.ClosesAt = t.UTC()
		} else {
			f.add("closes_at", "closing time must be a date and time (YYYY-MM-DDTHH:MM, IST), or empty")
		}
	}
	f.Email = pf.Get("email")
	c.Email = pledge.EmailMode(f.Email)
	f.Goal = strings.TrimSpace(pf.Get("goal"))
	c.Goal = 0
	if f.Goal != "" {
		n, err := strconv.ParseInt(f.Goal, 10, 64)
		if err != nil || n < 0 {
			f.add("goal", "goal must be a whole number, 0 or more")
		} else {
			c.Goal = n
		}
	}
}

// readDefaultLang puts the default language chosen, def, first in
// c.Languages (the others keep the console's order), or notes on f that it
// is not one of them. A form without the choice (filled in before it was
// offered) keeps the stored default, stored, where it is still ticked, and
// otherwise takes the first ticked.
func readDefaultLang(f *campaignForm, c *pledge.Campaign, def, stored string) {
	if len(c.Languages) == 0 {
		f.Default = def // "at least one language is needed" says the rest
		return
	}
	if def == "" || len(c.Languages) == 1 {
		// Not chosen (a form from before the choice), or only one
		// language ticked: that one is the default, whatever the radio says.
		def = c.Languages[0]
		if len(c.Languages) > 1 && slices.Contains(c.Languages, stored) {
			def = stored
		}
	}
	f.Default = def
	i := slices.Index(c.Languages, def)
	if i < 0 {
		f.add("default_lang", fmt.Sprintf("the default language (%s) must be one of the ticked languages: tick it, or choose a ticked one", def))
		return
	}
	c.Languages = append([]string{def}, slices.Delete(c.Languages, i, i+1)...)
}

// placeProblems puts each of Campaign.Validate's messages next to the field
// it is about; the rest go under "form".
func placeProblems(f *campaignForm, problems []string) {
	for _, p := range problems {
		switch {
		case strings.HasPrefix(p, "slug"):
			f.add("slug", p)
		case strings.HasPrefix(p, "the region label "):
			// "the region label has at most 60 characters (hi)"
			for i := range f.Langs {
				if strings.HasSuffix(p, " ("+f.Langs[i].Lang+")") {
					f.Langs[i].LabelErrors = append(f.Langs[i].LabelErrors, p)
				}
			}
			f.Problems = true
		case strings.Contains(p, "language"):
			f.add("lang", p)
		case strings.HasPrefix(p, "title and pledge text are needed in "):
			l := strings.TrimPrefix(p, "title and pledge text are needed in ")
			for i := range f.Langs {
				if f.Langs[i].Lang == l {
					f.Langs[i].Errors = append(f.Langs[i].Errors, p)
				}
			}
			f.Problems = true
		case strings.HasPrefix(p, "email"):
			f.add("email", p)
		case strings.HasPrefix(p, "closing time"):
			f.add("closes_at", p)
		case strings.HasPrefix(p, "goal"):
			f.add("goal", p)
		case strings.Contains(p, "region") && !f.New:
			// The edit form has no regions: they are mended by importing
			// them again, on the regions page.
			f.add("form", "The regions need mending on the regions page (import them again) before the campaign can be saved: "+p)
		case strings.Contains(p, "region"):
			f.add("regions", p)
		default:
			f.add("form", p)
		}
	}
}

// newCampaignForm shows the empty form for a new campaign.
func (a *Admin) newCampaignForm(w http.ResponseWriter, r *http.Request) error {
	// Every language is ticked, and the regions' header names them all; a
	// language unticked later leaves its name column, which is read for
	// nothing while it is empty (ParseRegionsCSV).
	f := campaignForm{New: true, Email: string(pledge.EmailNone), OpensAt: localTime(a.now()), Default: consoleLangs[0]}
	f.Regions = "code,parent"
	for _, l := range consoleLangs {
		f.Langs = append(f.Langs, langText{Lang: l, On: true})
		f.Regions += ",name_" + l
	}
	f.Regions += "\n"
	a.render(w, r, http.StatusOK, "campaign_form", a.newPage(r, "New campaign", f))
	return nil
}

// createCampaign stores a new campaign from the form, with the regions of
// its CSV field.
func (a *Admin) createCampaign(w http.ResponseWriter, r *http.Request) error {
	f := campaignForm{New: true}
	var c pledge.Campaign
	readCampaignForm(r.PostForm, &f, &c)
	f.Regions = strings.ReplaceAll(r.PostForm.Get("regions"), "\r\n", "\n")
	if len(c.Languages) > 0 {
		regions, err := pledge.ParseRegionsCSV(strings.NewReader(f.Regions), c.Languages)
		var rerr *pledge.RegionsCSVError
		switch {
		case errors.As(err, &rerr):
			for _, p := range rerr.Problems {
				f.add("regions", p.String())
			}
		case err != nil:
			return err
		default:
			c.Regions = regions
		}
	}
	if !f.Problems {
		placeProblems(&f, c.Problems())
	}
	checkClosingTime(&f, nil, &c, a.now())
	if !f.Problems {
		err := a.store.CreateCampaign(r.Context(), &c, a.campaignAction(r, c.Slug, KindCampaignCreate, createDetail(&c)))
		switch {
		case errors.Is(err, pledge.ErrDuplicate):
			f.add("slug", "a campaign with this slug exists already")
		case err != nil:
			return fmt.Errorf("create campaign: %w", err)
		}
	}
	if f.Problems {
		a.render(w, r, http.StatusUnprocessableEntity, "campaign_form", a.newPage(r, "New campaign", f))
		return nil
	}
	a.setNotice(r, c.Slug, "Campaign created.")
	http.Redirect(w, r, "/admin/c/"+c.Slug, http.StatusSeeOther)
	return nil
}

// editCampaignForm shows the form of an existing campaign.
func (a *Admin) editCampaignForm(w http.ResponseWriter, r *http.Request) error {
	c, err := a.store.Campaign(r.Context(), r.PathValue("slug"))
	if err != nil {
		return fmt.Errorf("edit campaign: %w", err)
	}
	f := formOf(&c)
	f.Loaded = formValues(f)
	a.render(w, r, http.StatusOK, "campaign_form", a.newPage(r, "Edit "+c.Slug, f))
	return nil
}

// editCampaign saves the form onto a campaign, live or not. Its regions and
// paused switch stay as they are; pledges already accepted are committed
// whatever the edit, and the public site picks the change up on its next
// reload (within campaignCache's five seconds). A form filled from an
// older version than the stored one (another admin saved in between) is
// not saved: it comes back merged with the other save (editConflict), so
// that saving it again is a decision made knowing of the other edit.
func (a *Admin) editCampaign(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := a.store.Campaign(ctx, r.PathValue("slug"))
	if err != nil {
		return fmt.Errorf("edit campaign: %w", err)
	}
	before := c // readCampaignForm gives c new languages and texts, never changing these
	f := campaignForm{Slug: c.Slug, Loaded: loadedValues(r.PostForm)}
	readCampaignForm(r.PostForm, &f, &c)
	if c.Version, err = editedVersion(r, c.Version); err != nil {
		return err
	}
	f.Version = c.Version
	if !f.Problems {
		placeProblems(&f, c.Problems())
	}
	checkClosingTime(&f, &before, &c, a.now())
	if !f.Problems {
		err := a.store.UpdateCampaign(ctx, &c, a.campaignAction(r, c.Slug, KindCampaignEdit, editDetail(&before, &c)))
		switch {
		case errors.Is(err, pledge.ErrRegionInUse):
			f.add("form", inUseMessage(err))
		case errors.Is(err, pledge.ErrEditConflict):
			return a.editConflict(w, r, &c)
		case err != nil:
			return fmt.Errorf("edit campaign: %w", err)
		}
	}
	if f.Problems {
		a.render(w, r, http.StatusUnprocessableEntity, "campaign_form", a.newPage(r, "Edit "+c.Slug, f))
		return nil
	}
	a.setNotice(r, c.Slug, "Campaign saved.")
	http.Redirect(w, r, "/admin/c/"+c.Slug, http.StatusSeeOther)
	return nil
}

// editConflict answers an edit that met another save made after its form
// was opened: the form comes back (409), merged with the campaign as it is
// now (mergeEdit), with the other save's changes and the fields both
// changed listed; saving it again saves it. c is the campaign as this form
// would have made it, unmerged. A form the campaign is already like (a
// second click on Save) is taken as saved.
func (a *Admin) editConflict(w http.ResponseWriter, r *http.Request, c *pledge.Campaign) error {
	now, err := a.store.Campaign(r.Context(), c.Slug)
	if err != nil {
		return fmt.Errorf("edit campaign: %w", err)
	}
	stored := formValues(formOf(&now))
	f := campaignForm{Slug: now.Slug, Version: now.Version, Loaded: stored} // saving again saves over this version
	merged := now
	values := r.PostForm
	loaded := loadedValues(values)
	if loaded != nil {
		values, f.Conflicts = mergeEdit(values, loaded, stored)
		was := now
		readCampaignForm(loaded, &campaignForm{}, &was)
		f.Others = campaignChanges(&was, &now)
	}
	readCampaignForm(values, &f, &merged)
	if len(campaignChanges(&now, &merged)) == 0 {
		// Saved already, as a second click on Save finds: the campaign is
		// as this form would make it.
		http.Redirect(w, r, "/admin/c/"+c.Slug, http.StatusSeeOther)
		return nil
	}
	if loaded == nil {
		// A form from before the merge: what saving it would change is
		// all that can be said.
		f.Others = campaignChanges(&now, &merged)
	}
	f.add("form", conflictNote(loaded != nil))
	a.render(w, r, http.StatusConflict, "campaign_form", a.newPage(r, "Edit "+c.Slug, f))
	return nil
}

// conflictNote is the note over an edit form that met another save;
// merged says whether the form was merged with it.
func conflictNote(merged bool) string {
	if !merged {
		return "Someone else saved this campaign after this form was opened, so these changes were not saved. " +
			"They are still in the form below. Saving again replaces the campaign's settings with the whole form; it would change what is listed below."
	}
	return "Someone else saved this campaign after this form was opened, so these changes were not saved yet. " +
		"The form below now holds their changes, listed here, and yours to the fields you changed. Check it, and save again to apply it."
}

// checkClosingTime refuses, on f, a closing time of c that has passed at
// now where saving would close a campaign not closed before (before; nil
// for a new campaign): a slip of the date or of AM/PM would end a live
// drive at once. An edit may close a campaign so when f.CloseNow says it
// is meant; a new campaign never starts closed. A campaign closed already
// may have its past closing time moved.
func checkClosingTime(f *campaignForm, before, c *pledge.Campaign, now time.Time) {
	if c.ClosesAt.IsZero() || c.ClosesAt.After(now) || len(f.Errors["closes_at"]) > 0 {
		return
	}
	if before == nil {
		f.add("closes_at", fmt.Sprintf("closing time %s has passed already: a new campaign must close later than now (check the date and AM/PM)",
			consoleTime(c.ClosesAt)))
		return
	}
	if !before.ClosesAt.IsZero() && !before.ClosesAt.After(now) {
		return
	}
	if f.CloseNow {
		// It closes as it is saved, not at the time typed: the pledges it
		// took since then were counted, and none may postdate its close.
		c.ClosesAt = now.Truncate(time.Second)
		return
	}
	f.AskClose = true
	f.add("closes_at", fmt.Sprintf("closing time %s has passed: saving would close the campaign at once, and it would take no more pledges. "+
		"Check the date and AM/PM, or tick \"Close the campaign now\" to close it as you save.", consoleTime(c.ClosesAt)))
}

// createDetail is the audit log's account of creating c: its settings,
// its pledge text in each language, and its region label where it has one.
func createDetail(c *pledge.Campaign) string {
	d := fmt.Sprintf("%s: %q, languages %s, email %s, goal %s, opens %s, closes %s, %d regions, pledge text %s",
		c.Slug, c.Title.In("en", c.DefaultLang()), strings.Join(c.Languages, ","), c.Email, goalText(c.Goal),
		consoleTime(c.OpensAt), closesText(c.ClosesAt), len(c.Regions), quotedTexts(c.Pledge))
	if len(c.RegionLabel) > 0 {
		d += ", region label " + quotedTexts(c.RegionLabel)
	}
	return d
}

// editDetail is the audit log's account of an edit saving c over old: each
// setting that changed, old → new (campaignChanges); "no changes" for a
// save that changed nothing.
func editDetail(old, c *pledge.Campaign) string {
	changes := campaignChanges(old, c)
	if len(changes) == 0 {
		return c.Slug + ": no changes"
	}
	return c.Slug + ": " + strings.Join(changes, "; ")
}

// campaignChanges lists what the edit form would change saving c over old,
// each setting as old → new, texts in full: certificates already issued
// show the texts as they are now, so the audit log keeps what they said.
func campaignChanges(old, c *pledge.Campaign) []string {
	var changes []string
	changed := func(field, from, to string) {
		if from != to {
			changes = append(changes, fmt.Sprintf("%s %s → %s", field, from, to))
		}
	}
	if !sameLangs(old.Languages, c.Languages) {
		changed("languages", strings.Join(old.Languages, ","), strings.Join(c.Languages, ","))
	}
	changed("default language", old.DefaultLang(), c.DefaultLang())
	for _, t := range []struct {
		name     string
		old, new pledge.Text
	}{
		{"title", old.Title, c.Title},
		{"region label", old.RegionLabel, c.RegionLabel},
		{"pledge text", old.Pledge, c.Pledge},
		{"certificate title", old.CertificateTitle, c.CertificateTitle},
		{"signatory", old.Signatory, c.Signatory},
	} {
		for _, l := range textLangs(t.old, t.new) {
			changed(t.name+" ("+l+")", strconv.Quote(t.old[l]), strconv.Quote(t.new[l]))
		}
	}
	changed("email", string(old.Email), string(c.Email))
	changed("goal", goalText(old.Goal), goalText(c.Goal))
	changed("opens", consoleTime(old.OpensAt), consoleTime(c.OpensAt))
	changed("closes", closesText(old.ClosesAt), closesText(c.ClosesAt))
	return changes
}

// sameLangs reports whether a and b hold the same languages, in whatever
// order: a new default alone is named as such, not as new languages.
func sameLangs(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// textLangs are the languages either text has, sorted.
func textLangs(a, b pledge.Text) []string {
	both := maps.Clone(a)
	if both == nil {
		both = pledge.Text{}
	}
	maps.Copy(both, b)
	return slices.Sorted(maps.Keys(both))
}

func goalText(goal int64) string {
	if goal == 0 {
		return "none"
	}
	return strconv.FormatInt(goal, 10)
}

func closesText(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return consoleTime(t)
}

// pauseCampaign and resumeCampaign switch whether a campaign takes pledges.
// Every instance of the public site reloads campaigns every few seconds
// (campaignCache), so the switch takes effect everywhere within seconds. A
// submission already accepted by a handler before the pause is still
// committed: intake does not check the campaign again.
func (a *Admin) pauseCampaign(w http.ResponseWriter, r *http.Request) error {
	return a.setPaused(w, r, true)
}

func (a *Admin) resumeCampaign(w http.ResponseWriter, r *http.Request) error {
	return a.setPaused(w, r, false)
}

// setPaused pauses or resumes the campaign of the path, recording it. A
// campaign that has closed is not paused: it takes no pledges, and its
// status would read "paused" instead of "closed". One paused before it
// closed may still be resumed, so that moving its closing time later
// reopens it for pledges.
func (a *Admin) setPaused(w http.ResponseWriter, r *http.Request, paused bool) error {
	ctx := r.Context()
	c, err := a.store.Campaign(ctx, r.PathValue("slug"))
	if err != nil {
		return fmt.Errorf("pause campaign: %w", err)
	}
	if paused && closedAt(&c, a.now()) {
		return fmt.Errorf("pause campaign %s: %w", c.Slug, errClosed)
	}
	kind, detail := KindCampaignPause, c.Slug+": paused"
	if !paused {
		kind, detail = KindCampaignResume, c.Slug+": resumed"
	}
	if c.Paused == paused {
		detail += " (already)"
	}
	if err := a.store.SetPaused(ctx, c.ID, paused, a.campaignAction(r, c.Slug, kind, detail)); err != nil {
		return fmt.Errorf("pause campaign %s: %w", c.Slug, err)
	}
	http.Redirect(w, r, "/admin/c/"+c.Slug, http.StatusSeeOther)
	return nil
}

// closedAt reports whether c has closed for good at now: its closing time
// has come.
func closedAt(c *pledge.Campaign, now time.Time) bool {
	return !c.ClosesAt.IsZero() && !c.ClosesAt.After(now)
}

// withText sets t[lang] = v when v is not empty, making t as needed.
func withText(t pledge.Text, lang, v string) pledge.Text {
	if v == "" {
		return t
	}
	if t == nil {
		t = pledge.Text{}
	}
	t[lang] = v
	return t
}

// quotedTexts writes a short text in each of its languages, e.g.
// `en "District", hi "ज़िला"`.
func quotedTexts(t pledge.Text) string {
	parts := make([]string, 0, len(t))
	for _, l := range slices.Sorted(maps.Keys(t)) {
		parts = append(parts, l+" "+strconv.Quote(t[l]))
	}
	return strings.Join(parts, ", ")
}
