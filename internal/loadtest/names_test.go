package loadtest

import (
	"strings"
	"testing"

	"github.com/pledgeportal/pledge/internal/pledge"
)

func TestNameScriptsAndValidity(t *testing.T) {
	t.Parallel()
	const total = 20000
	byScript := make(map[Script]int)
	distinct := make(map[string]bool)
	for n := uint64(0); n < total; n++ {
		name, script := Name(3, n)
		got, err := pledge.NormaliseName(name)
		if err != nil || got != name {
			t.Fatalf("Name(3, %d) = %q: NormaliseName gives %q, %v; want it unchanged", n, name, got, err)
		}
		if s := scriptOf(name); s != script {
			t.Errorf("Name(3, %d) = %q in %s, reported as %s", n, name, s, script)
		}
		if again, _ := Name(3, n); again != name {
			t.Fatalf("Name(3, %d) not deterministic: %q then %q", n, name, again)
		}
		byScript[script]++
		distinct[name] = true
	}
	for _, p := range pools {
		share := float64(byScript[p.script]) / total * 100
		if tol := 1.5 + float64(p.weight)/10; share < float64(p.weight)-tol || share > float64(p.weight)+tol {
			t.Errorf("%s: %.1f%% of names, want %d%%", p.script, share, p.weight)
		}
	}
	if len(distinct) < 2000 {
		t.Errorf("only %d distinct names in %d", len(distinct), total)
	}
	// Other seeds give other sequences.
	same := 0
	for n := uint64(0); n < 100; n++ {
		a, _ := Name(3, n)
		b, _ := Name(4, n)
		if a == b {
			same++
		}
	}
	if same > 20 {
		t.Errorf("seeds 3 and 4 agree on %d of 100 names", same)
	}
}

func TestNamePoolsWeights(t *testing.T) {
	t.Parallel()
	var sum uint64
	for _, p := range pools {
		sum += p.weight
		if p.script != ScriptMixed && (len(p.given) == 0 || len(p.surnames) == 0 || p.lang == "") {
			t.Errorf("pool %s is incomplete", p.script)
		}
		for _, s := range append(append([]string(nil), p.given...), p.surnames...) {
			if strings.ContainsAny(s, " \t") || scriptOf(s) != p.script {
				t.Errorf("pool %s holds %q (script %s)", p.script, s, scriptOf(s))
			}
		}
	}
	if sum != 100 {
		t.Errorf("weights add up to %d, want 100", sum)
	}
	if pools[0].script != ScriptLatin || pools[1].script != ScriptDevanagari {
		t.Error("Name expects the Latin and Devanagari pools first")
	}
}

func TestNameLang(t *testing.T) {
	t.Parallel()
	langs := []string{"en", "hi"}
	for _, tc := range []struct {
		script Script
		want   string
	}{
		{ScriptLatin, "en"}, {ScriptDevanagari, "hi"}, {ScriptMixed, "en"}, {ScriptTamil, "en"},
	} {
		if got := nameLang(tc.script, langs, "en"); got != tc.want {
			t.Errorf("nameLang(%s) = %q, want %q", tc.script, got, tc.want)
		}
	}
	if got := nameLang(ScriptTamil, []string{"hi", "ta"}, "hi"); got != "ta" {
		t.Errorf("nameLang(tamil, hi ta) = %q", got)
	}
}

// scriptOf reports the script of a generated name:
// the single Indic script it uses, ScriptLatin if only Latin letters,
// ScriptMixed for Latin with Devanagari.
func scriptOf(name string) Script {
	var latin, deva bool
	for _, r := range name {
		switch {
		case r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z':
			latin = true
		case r >= 0x0900 && r <= 0x097f:
			deva = true
		}
	}
	switch {
	case latin && deva:
		return ScriptMixed
	case deva:
		return ScriptDevanagari
	case latin || strings.TrimSpace(name) == "":
		return ScriptLatin
	}
	for _, r := range name {
		switch {
		case r >= 0x0980 && r <= 0x09ff:
			return ScriptBengali
		case r >= 0x0a00 && r <= 0x0a7f:
			return ScriptGurmukhi
		case r >= 0x0a80 && r <= 0x0aff:
			return ScriptGujarati
		case r >= 0x0b00 && r <= 0x0b7f:
			return ScriptOdia
		case r >= 0x0b80 && r <= 0x0bff:
			return ScriptTamil
		case r >= 0x0c00 && r <= 0x0c7f:
			return ScriptTelugu
		case r >= 0x0c80 && r <= 0x0cff:
			return ScriptKannada
		case r >= 0x0d00 && r <= 0x0d7f:
			return ScriptMalayalam
		}
	}
	return ""
}
