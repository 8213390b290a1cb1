package admin

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// maxRegionsFile bounds an uploaded regions CSV file.
const maxRegionsFile = 1 << 20

// fileTooLarge is the regions page's problem for a file over maxRegionsFile.
var fileTooLarge = pledge.RegionLineError{
	Msg: fmt.Sprintf("the file is larger than 1 MiB (%d bytes), the most a regions file may have; nothing was read from it", maxRegionsFile),
}

// regionsPage is the data of a campaign's regions page.
type regionsPage struct {
	Slug      string
	Header    string          // the CSV header the campaign's languages need
	Current   []pledge.Region // the campaign's regions now
	Langs     []string
	Problems  []pledge.RegionLineError // of the uploaded file; nothing was changed
	Refused   string                   // why applying was refused
	Preview   []pledge.Region          // a good file, not applied yet
	Blocked   string                   // why importing the previewed file would be refused
	Added     []string
	Removed   []string
	Changed   []string
	Submitted bool
	Version   int64 // of the campaign the page shows
}

// Names joins a region's names in the campaign's languages.
func (p regionsPage) Names(r pledge.Region) string {
	parts := make([]string, 0, len(p.Langs))
	for _, l := range p.Langs {
		parts = append(parts, r.Name[l])
	}
	return strings.Join(parts, " · ")
}

// Digest is regionsDigest of the regions the page shows, sent back with
// the file: an import may go ahead after a save that left them alone.
func (p regionsPage) Digest() string { return regionsDigest(p.Current) }

// regionsDigest identifies a list of regions, order, codes, parents and
// names and all.
func regionsDigest(regions []pledge.Region) string {
	b, _ := json.Marshal(regions) // plain data: it cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

func newRegionsPage(c *pledge.Campaign) regionsPage {
	h := "code,parent"
	for _, l := range c.Languages {
		h += ",name_" + l
	}
	return regionsPage{Slug: c.Slug, Header: h, Current: c.Regions, Langs: c.Languages, Version: c.Version}
}

// regionsForm shows a campaign's regions and the upload form.
func (a *Admin) regionsForm(w http.ResponseWriter, r *http.Request) error {
	c, err := a.store.Campaign(r.Context(), r.PathValue("slug"))
	if err != nil {
		return fmt.Errorf("regions: %w", err)
	}
	a.render(w, r, http.StatusOK, "regions", a.newPage(r, "Regions of "+c.Slug, newRegionsPage(&c)))
	return nil
}

// importRegions reads an uploaded CSV (multipart, parsed and size-checked by
// checkCSRF) and either previews it (action=preview) or replaces the
// campaign's regions with it. A file with problems changes nothing and the
// page lists every bad line.
func (a *Admin) importRegions(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := a.store.Campaign(ctx, r.PathValue("slug"))
	if err != nil {
		return fmt.Errorf("regions: %w", err)
	}
	p := newRegionsPage(&c)
	p.Submitted = true
	file, fh, err := r.FormFile("file")
	if err != nil {
		p.Problems = []pledge.RegionLineError{{Msg: "choose a CSV file to upload"}}
		a.render(w, r, http.StatusUnprocessableEntity, "regions", a.newPage(r, "Regions of "+c.Slug, p))
		return nil
	}
	defer file.Close()
	if fh.Size > maxRegionsFile {
		p.Problems = []pledge.RegionLineError{fileTooLarge}
		a.render(w, r, http.StatusRequestEntityTooLarge, "regions", a.newPage(r, "Regions of "+c.Slug, p))
		return nil
	}
	regions, err := pledge.ParseRegionsCSV(file, c.Languages)
	var rerr *pledge.RegionsCSVError
	if errors.As(err, &rerr) {
		p.Problems = rerr.Problems
		a.render(w, r, http.StatusUnprocessableEntity, "regions", a.newPage(r, "Regions of "+c.Slug, p))
		return nil
	}
	if err != nil {
		return fmt.Errorf("regions of %s: %w", c.Slug, err)
	}
	p.Preview = regions
	p.Added, p.Removed, p.Changed = regionChanges(c.Regions, regions)
	if r.PostForm.Get("action") == "preview" {
		if p.Blocked, err = a.regionsBlocked(r, c, regions); err != nil {
			return err
		}
		a.render(w, r, http.StatusOK, "regions", a.newPage(r, "Regions of "+c.Slug, p))
		return nil
	}
	// The changes listed on the page the file was sent from were worked out
	// against the campaign as it was then; if it has been saved since, the
	// import waits for a look at the changes as they now are, unless that
	// save left the regions as the page showed them (a new title, say):
	// then the changes listed are the changes.
	v, err := editedVersion(r, c.Version)
	if err != nil {
		return err
	}
	if shown := r.PostForm.Get("regions"); v == c.Version || shown == "" || shown != regionsDigest(c.Regions) {
		c.Version = v
	}
	c.Regions = regions
	if problems := c.Problems(); len(problems) > 0 {
		// Regions from the file are valid (ParseRegionsCSV): what is wrong
		// is in the campaign as stored, from before a rule was added.
		p.Refused = "the campaign needs mending on its edit page before its regions can be saved: " + strings.Join(problems, "; ")
		a.render(w, r, http.StatusUnprocessableEntity, "regions", a.newPage(r, "Regions of "+c.Slug, p))
		return nil
	}
	detail := fmt.Sprintf("%s: %d regions from %s (%d added, %d removed, %d changed)%s",
		c.Slug, len(regions), clipName(fh.Filename), len(p.Added), len(p.Removed), len(p.Changed), changesDetail(p.Current, regions))
	err = a.store.UpdateCampaign(ctx, &c, a.campaignAction(r, c.Slug, KindRegionsImport, detail))
	switch {
	case errors.Is(err, pledge.ErrRegionInUse):
		p.Refused = inUseMessage(err)
	case errors.Is(err, pledge.ErrEditConflict):
		now, err := a.store.Campaign(ctx, c.Slug)
		if err == nil && sameRegions(now.Regions, regions) {
			// Imported already, as a second click on Import finds.
			http.Redirect(w, r, "/admin/c/"+c.Slug, http.StatusSeeOther)
			return nil
		}
		p.Refused = "the campaign was saved by someone else after this page was loaded; check the changes below against it, then import again"
		if err == nil {
			p.Current, p.Version = now.Regions, now.Version
			p.Added, p.Removed, p.Changed = regionChanges(now.Regions, regions)
		}
	case err != nil:
		return fmt.Errorf("regions of %s: %w", c.Slug, err)
	}
	if p.Refused != "" {
		a.render(w, r, http.StatusConflict, "regions", a.newPage(r, "Regions of "+c.Slug, p))
		return nil
	}
	a.setNotice(r, c.Slug, fmt.Sprintf("Regions imported: %d added, %d removed, %d changed.", len(p.Added), len(p.Removed), len(p.Changed)))
	http.Redirect(w, r, "/admin/c/"+c.Slug, http.StatusSeeOther)
	return nil
}

// regionsBlocked says why importing regions into c would be refused, in
// the words of the refusal: a region they leave out, or make a parent, has
// pledges. "" if nothing stands in the way now.
func (a *Admin) regionsBlocked(r *http.Request, c pledge.Campaign, regions []pledge.Region) (string, error) {
	used, err := a.store.RegionsInUse(r.Context(), c.ID)
	if err != nil {
		return "", fmt.Errorf("regions of %s: %w", c.Slug, err)
	}
	c.Regions = regions
	if err := store.CheckRegionsInUse(&c, used); err != nil {
		return inUseMessage(err), nil
	}
	return "", nil
}

// inUseMessage is what a refusal wrapping pledge.ErrRegionInUse says of
// the regions: their codes and what they cannot do.
func inUseMessage(err error) string {
	var inUse *store.RegionsInUseError
	if errors.As(err, &inUse) {
		return inUse.Error()
	}
	return err.Error()
}

// maxDiscard is how much of a regions upload over the limit is read, and
// thrown away, before the answer: a browser still sending a file when the
// connection closes may show a connection error instead of the answer.
const maxDiscard = 16 << 20

// regionsTooLarge answers a regions upload whose body is over the limit
// of the form (maxUploadBody), so neither its file nor its form token were
// read: the campaign's regions page, saying the file is too large, as a
// file a little over maxRegionsFile gets. It changes nothing. r.Body is
// the rest of the upload.
func (a *Admin) regionsTooLarge(w http.ResponseWriter, r *http.Request) error {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxDiscard))
	slug := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/admin/c/"), "/regions")
	if strings.Contains(slug, "/") {
		return errNotFound
	}
	c, err := a.store.Campaign(r.Context(), slug)
	if err != nil {
		return fmt.Errorf("regions: %w", err)
	}
	p := newRegionsPage(&c)
	p.Submitted = true
	p.Problems = []pledge.RegionLineError{fileTooLarge}
	a.render(w, r, http.StatusRequestEntityTooLarge, "regions", a.newPage(r, "Regions of "+c.Slug, p))
	return nil
}

// regionChanges lists the codes added, removed and renamed or moved.
func regionChanges(old, new []pledge.Region) (added, removed, changed []string) {
	before := make(map[string]pledge.Region, len(old))
	for _, r := range old {
		before[r.Code] = r
	}
	after := make(map[string]bool, len(new))
	for _, r := range new {
		after[r.Code] = true
		b, ok := before[r.Code]
		switch {
		case !ok:
			added = append(added, r.Code)
		case b.Parent != r.Parent || !sameText(b.Name, r.Name):
			changed = append(changed, r.Code)
		}
	}
	for _, r := range old {
		if !after[r.Code] {
			removed = append(removed, r.Code)
		}
	}
	return added, removed, changed
}

// maxListed bounds each list of regions an audit entry names.
const maxListed = 50

// changesDetail names, for the audit log, the regions importing new over
// old adds, removes and changes, each change with its parent and names
// old → new, at most maxListed of each, then how many more: e.g.
// `; added S2; removed N2; changed N1 en "North One" → "North First"`.
func changesDetail(old, new []pledge.Region) string {
	before := make(map[string]pledge.Region, len(old))
	for _, r := range old {
		before[r.Code] = r
	}
	added, removed, changed := regionChanges(old, new)
	var b strings.Builder
	list := func(label string, items []string, item func(code string) string) {
		if len(items) == 0 {
			return
		}
		b.WriteString("; " + label + " ")
		for i, code := range items[:min(len(items), maxListed)] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(item(code))
		}
		if len(items) > maxListed {
			fmt.Fprintf(&b, " and %d more", len(items)-maxListed)
		}
	}
	plain := func(code string) string { return code }
	list("added", added, plain)
	list("removed", removed, plain)
	after := make(map[string]pledge.Region, len(new))
	for _, r := range new {
		after[r.Code] = r
	}
	list("changed", changed, func(code string) string {
		o, n := before[code], after[code]
		var parts []string
		if o.Parent != n.Parent {
			parts = append(parts, fmt.Sprintf("parent %s → %s", parentText(o.Parent), parentText(n.Parent)))
		}
		for _, l := range textLangs(o.Name, n.Name) {
			if o.Name[l] != n.Name[l] {
				parts = append(parts, fmt.Sprintf("%s %q → %q", l, o.Name[l], n.Name[l]))
			}
		}
		return code + " " + strings.Join(parts, " ")
	})
	return b.String()
}

// parentText is a region's parent as an audit entry names it.
func parentText(code string) string {
	if code == "" {
		return "(top level)"
	}
	return code
}

func sameText(a, b pledge.Text) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func clipName(s string) string {
	if len(s) > 60 {
		return fmt.Sprintf("%q…", s[:60])
	}
	return fmt.Sprintf("%q", s)
}

// sameRegions reports whether a and b are the same regions, in the same
// order, with the same names.
func sameRegions(a, b []pledge.Region) bool {
	return slices.EqualFunc(a, b, func(x, y pledge.Region) bool {
		return x.Code == y.Code && x.Parent == y.Parent && maps.Equal(x.Name, y.Name)
	})
}
