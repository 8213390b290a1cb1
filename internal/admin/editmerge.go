package admin

import (
	"net/url"
	"slices"
	"strings"
)

// The edit form merges two officers' saves field by field. It carries,
// beside each field, the value it was loaded with, in a hidden field named
// "was_" and the field's name (loadedPrefix): the stored campaign keeps no
// earlier versions, so the form itself is the record of what its officer
// started from. When a save finds that someone else saved after the form
// was opened, each field is compared three ways: the value sent, the value
// loaded, and the value stored now. A field this officer left as loaded
// takes the stored value (the other save's, if it changed it); a field
// this officer changed keeps this officer's value; a field both changed,
// to different values, is a conflict. The form comes back once with the
// merged values, what the other save changed, and the conflicts; saving it
// again applies it, so this officer's value wins a conflict only on that
// explicit second save. A form without the hidden fields (opened before
// they were added) is merged as a whole: its every field is this
// officer's.

// loadedPrefix starts the name of the hidden field holding the value a
// field of the edit form was loaded with.
const loadedPrefix = "was_"

// editField is one field of the edit form, by its form name, with the name
// the audit log and the conflict page give it.
type editField struct {
	Key, Label string
}

// editFields are the fields of the edit form that merge, in the order the
// form shows them.
func editFields() []editField {
	out := []editField{{"lang", "languages"}, {"default_lang", "default language"}}
	for _, l := range consoleLangs {
		out = append(out,
			editField{"title_" + l, "title (" + l + ")"},
			editField{"region_label_" + l, "region label (" + l + ")"},
			editField{"pledge_" + l, "pledge text (" + l + ")"},
			editField{"certificate_title_" + l, "certificate title (" + l + ")"},
			editField{"signatory_" + l, "signatory (" + l + ")"})
	}
	return append(out, editField{"opens_at", "opens"}, editField{"closes_at", "closes"},
		editField{"email", "email"}, editField{"goal", "goal"})
}

// formValues are the values the edit form sends for f unchanged: those of
// the campaign it was filled from.
func formValues(f campaignForm) url.Values {
	v := url.Values{}
	for _, lt := range f.Langs {
		if lt.On {
			v.Add("lang", lt.Lang)
		}
		v.Set("title_"+lt.Lang, lt.Title)
		v.Set("region_label_"+lt.Lang, lt.RegionLabel)
		v.Set("pledge_"+lt.Lang, lt.Pledge)
		v.Set("certificate_title_"+lt.Lang, lt.CertTitle)
		v.Set("signatory_"+lt.Lang, lt.Signatory)
	}
	v.Set("default_lang", f.Default)
	v.Set("opens_at", f.OpensAt)
	v.Set("closes_at", f.ClosesAt)
	v.Set("email", f.Email)
	v.Set("goal", f.Goal)
	return v
}

// loadedValues are the values the form sent in pf was loaded with, from
// its hidden fields; nil for a form without them.
func loadedValues(pf url.Values) url.Values {
	var out url.Values
	for k, vs := range pf {
		if name, ok := strings.CutPrefix(k, loadedPrefix); ok {
			if out == nil {
				out = url.Values{}
			}
			out[name] = vs
		}
	}
	return out
}

// fieldValue is a field's values as the form reader takes them: the
// languages ticked in any order, a text without the spaces around it and
// with the browser's CRLF line ends as LF.
func fieldValue(key string, vs []string) string {
	if key == "lang" {
		return strings.Join(slices.Sorted(slices.Values(vs)), ",")
	}
	if len(vs) == 0 {
		return ""
	}
	return strings.TrimSpace(strings.ReplaceAll(vs[0], "\r\n", "\n"))
}

// mergeEdit merges the edit form sent, sent, loaded with the values
// loaded, onto the campaign as stored now, stored (formValues): the fields
// sent changes keep its values, the others take the stored ones. It
// returns the merged form and the names of the fields both changed, to
// different values. Fields that do not merge (the token, the version, the
// "close now" box) are sent's.
func mergeEdit(sent, loaded, stored url.Values) (url.Values, []string) {
	merged := url.Values{}
	for k, vs := range sent {
		merged[k] = slices.Clone(vs)
	}
	var conflicts []string
	for _, fld := range editFields() {
		mine, was, now := fieldValue(fld.Key, sent[fld.Key]), fieldValue(fld.Key, loaded[fld.Key]), fieldValue(fld.Key, stored[fld.Key])
		switch {
		case mine == was:
			merged[fld.Key] = slices.Clone(stored[fld.Key])
		case now != was && now != mine:
			conflicts = append(conflicts, fld.Label)
		}
	}
	return merged, conflicts
}
