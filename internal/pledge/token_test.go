package pledge_test

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/pledgeportal/pledge/internal/pledge"
)

func testTokens() *pledge.Tokens { return pledge.NewTokens([]byte("test secret, 32 bytes long......")) }

const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

var tokenPairs = []struct{ campaign, number int64 }{
	{1, 1},
	{1, 2},
	{2, 1},
	{7, 123456},
	{0, 0},
	{1, 4_000_000_000},
	{4_000_000_000, 1},
	{1<<32 - 1, 1<<32 - 1},
	{42, 970_000_000}, // about India's electorate
}

func TestTokensRoundTrip(t *testing.T) {
	tk := testTokens()
	seen := map[string]bool{}
	for _, p := range tokenPairs {
		tok := tk.Encode(p.campaign, p.number)
		if len(tok) != 22 {
			t.Errorf("Encode(%d, %d) = %q: %d characters, want 22", p.campaign, p.number, tok, len(tok))
		}
		if strings.Trim(tok, tokenAlphabet) != "" {
			t.Errorf("token %q is not URL-safe base64 without padding", tok)
		}
		if seen[tok] {
			t.Errorf("token %q issued twice", tok)
		}
		seen[tok] = true
		if again := tk.Encode(p.campaign, p.number); again != tok {
			t.Errorf("Encode not deterministic: %q then %q", tok, again)
		}
		c, n, err := tk.Decode(tok)
		if err != nil || c != p.campaign || n != p.number {
			t.Errorf("Decode(Encode(%d, %d)) = %d, %d, %v", p.campaign, p.number, c, n, err)
		}
		// Another instance from the same secret (a restarted server) decodes it.
		if c, n, err := testTokens().Decode(tok); err != nil || c != p.campaign || n != p.number {
			t.Errorf("fresh Tokens: Decode = %d, %d, %v", c, n, err)
		}
	}
}

func TestTokensHideTheNumber(t *testing.T) {
	tk := testTokens()
	for _, p := range []struct{ campaign, number int64 }{{7, 123456}, {1, 4_000_000_000}, {12345, 67890}, {42, 970_000_000}} {
		tok := tk.Encode(p.campaign, p.number)
		for _, n := range []int64{p.campaign, p.number} {
			if n < 1000 {
				continue // short numbers occur in random text by chance
			}
			dec := strconv.FormatInt(n, 10)
			if strings.Contains(tok, dec) {
				t.Errorf("token %q contains %s", tok, dec)
			}
			b64 := base64.RawURLEncoding.EncodeToString([]byte(dec))
			if strings.Contains(tok, b64[:len(b64)-1]) {
				t.Errorf("token %q contains the base64 of %s", tok, dec)
			}
		}
	}
	// Consecutive numbers share no visible structure: no common prefix or
	// suffix longer than chance allows.
	a, b := tk.Encode(7, 1000), tk.Encode(7, 1001)
	same := 0
	for i := range a {
		if a[i] == b[i] {
			same++
		}
	}
	if same > 8 {
		t.Errorf("tokens of consecutive numbers share %d of 22 positions: %q %q", same, a, b)
	}
}

func TestTokensSecrets(t *testing.T) {
	a := pledge.NewTokens([]byte("secret A"))
	b := pledge.NewTokens([]byte("secret B"))
	for _, p := range tokenPairs {
		ta, tb := a.Encode(p.campaign, p.number), b.Encode(p.campaign, p.number)
		if ta == tb {
			t.Errorf("(%d, %d): same token under different secrets", p.campaign, p.number)
		}
		if c, n, err := b.Decode(ta); !errors.Is(err, pledge.ErrNotFound) {
			t.Errorf("token of secret A decoded under secret B: %d, %d, %v", c, n, err)
		}
		if c, n, err := a.Decode(tb); !errors.Is(err, pledge.ErrNotFound) {
			t.Errorf("token of secret B decoded under secret A: %d, %d, %v", c, n, err)
		}
	}
}

func TestTokensTampering(t *testing.T) {
	tk := testTokens()
	for _, p := range tokenPairs {
		tok := tk.Encode(p.campaign, p.number)
		for i := range len(tok) {
			for _, ch := range tokenAlphabet {
				if byte(ch) == tok[i] {
					continue
				}
				bad := tok[:i] + string(ch) + tok[i+1:]
				if c, n, err := tk.Decode(bad); !errors.Is(err, pledge.ErrNotFound) {
					t.Fatalf("tampered token %q (from %q) decoded to %d, %d, %v", bad, tok, c, n, err)
				}
			}
		}
	}
}

func TestTokensMalformed(t *testing.T) {
	tk := testTokens()
	tok := tk.Encode(7, 123456)
	std := base64.RawStdEncoding.EncodeToString(mustDecodeToken(t, tok))
	padded := base64.URLEncoding.EncodeToString(mustDecodeToken(t, tok))

	// The last character carries 2 bits of data and 4 bits that must be 0.
	last := strings.IndexByte(tokenAlphabet, tok[21])
	var nonCanonical []string
	for low := 1; low < 16; low++ {
		nonCanonical = append(nonCanonical, tok[:21]+string(tokenAlphabet[last|low]))
	}

	cases := map[string]string{
		"empty":            "",
		"short":            tok[:21],
		"long":             tok + "A",
		"much longer":      tok + tok,
		"padded":           padded,
		"trailing newline": tok[:21] + "\n",
		"inner newline":    tok[:10] + "\n" + tok[10:21],
		"CR":               tok[:21] + "\r",
		"space":            tok[:21] + " ",
		"dot":              tok[:21] + ".",
		"percent":          tok[:20] + "%3",
		"non-ASCII":        tok[:19] + "é",
		"NUL":              tok[:21] + "\x00",
		"all A":            strings.Repeat("A", 22),
		"all dashes":       strings.Repeat("-", 22),
		"upper-cased":      strings.ToUpper(tok),
		"24 chars":         strings.Repeat("A", 24),
	}
	if std != tok {
		cases["standard alphabet"] = std
	}
	for i, s := range nonCanonical {
		cases["non-canonical trailing bits "+strconv.Itoa(i+1)] = s
	}
	for name, s := range cases {
		if s == tok {
			continue // e.g. upper-casing a token that has no lower-case letters
		}
		c, n, err := tk.Decode(s)
		if !errors.Is(err, pledge.ErrNotFound) {
			t.Errorf("%s: Decode(%q) = %d, %d, %v; want ErrNotFound", name, s, c, n, err)
		}
		if c != 0 || n != 0 {
			t.Errorf("%s: Decode returned %d, %d with its error", name, c, n)
		}
	}
}

func mustDecodeToken(t *testing.T, tok string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTokensTruncateWideNumbers documents that numbers are taken modulo 2^32:
// Encode does not refuse them, so two certificates can share a token.
func TestTokensTruncateWideNumbers(t *testing.T) {
	tk := testTokens()
	if tk.Encode(1, 1<<32+5) != tk.Encode(1, 5) {
		t.Fatal("expected documented 32-bit truncation")
	}
	c, n, err := tk.Decode(tk.Encode(-1, 1))
	if err != nil || c != 1<<32-1 || n != 1 {
		t.Errorf("negative campaign ID round trip: %d, %d, %v", c, n, err)
	}
}
