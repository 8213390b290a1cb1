package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// fuzzFormRequest is a POST of body with content type ct.
func fuzzFormRequest(body, ct string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/c/vote/pledge", strings.NewReader(body))
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	return r
}

const (
	fuzzFormCT = "application/x-www-form-urlencoded"
	fuzzJSONCT = "application/json"
)

// fuzzErrKind classifies a decode error: "media", "bad", "large" or "other".
func fuzzErrKind(err error) string {
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, errUnsupportedMedia):
		return "media"
	case errors.As(err, &mbe):
		return "large"
	case errors.Is(err, errBadRequest):
		return "bad"
	default:
		return "other"
	}
}

func TestDecodeForm(t *testing.T) {
	cases := []struct {
		name, ct, body string
		want           pledge.Input
		err            string // "" or a fuzzErrKind
	}{
		{"all fields", fuzzFormCT, "name=Asha+Devi&phone=%2B91+98765-43210&region=DL-01&email=a%40b.in&lang=hi",
			pledge.Input{Name: "Asha Devi", Phone: "+91 98765-43210", Region: "DL-01", Email: "a@b.in", Lang: "hi"}, ""},
		{"charset parameter", fuzzFormCT + "; charset=UTF-8", "name=%E0%A4%86%E0%A4%B6%E0%A4%BE",
			pledge.Input{Name: "आशा"}, ""},
		{"upper-case type", "Application/X-WWW-Form-Urlencoded", "name=x", pledge.Input{Name: "x"}, ""},
		{"raw UTF-8", fuzzFormCT, "name=आशा", pledge.Input{Name: "आशा"}, ""},
		{"empty body", fuzzFormCT, "", pledge.Input{}, ""},
		{"unknown fields ignored", fuzzFormCT, "name=x&csrf=1&submit=", pledge.Input{Name: "x"}, ""},
		{"empty value", fuzzFormCT, "name=&phone=", pledge.Input{}, ""},
		{"no content type", "", "name=x", pledge.Input{}, "media"},
		{"JSON", fuzzJSONCT, `{"name":"x"}`, pledge.Input{}, "media"},
		{"multipart", "multipart/form-data; boundary=x", "--x--", pledge.Input{}, "media"},
		{"text", "text/plain", "name=x", pledge.Input{}, "media"},
		{"malformed type", "application/x-www-form-urlencoded; charset", "name=x", pledge.Input{}, "media"},
		{"name twice", fuzzFormCT, "name=a&name=b", pledge.Input{}, "bad"},
		{"name twice, one empty", fuzzFormCT, "name=a&name", pledge.Input{}, "bad"},
		{"name twice, encoded key", fuzzFormCT, "name=a&na%6De=b", pledge.Input{}, "bad"},
		{"unknown field twice", fuzzFormCT, "x=1&x=2&name=a", pledge.Input{}, "bad"},
		{"semicolon", fuzzFormCT, "name=a;phone=b", pledge.Input{}, "bad"},
		{"bad escape", fuzzFormCT, "name=%zz", pledge.Input{}, "bad"},
		{"too large", fuzzFormCT, "name=" + strings.Repeat("a", maxFormBody), pledge.Input{}, "large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in, err := decodeForm(httptest.NewRecorder(), fuzzFormRequest(tc.body, tc.ct))
			if tc.err != "" {
				if err == nil {
					t.Fatalf("accepted: %+v", in)
				}
				if k := fuzzErrKind(err); k != tc.err {
					t.Fatalf("error %v is %q, want %q", err, k, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if in != tc.want {
				t.Errorf("got %+v, want %+v", in, tc.want)
			}
		})
	}
}

func TestDecodeFormIgnoresQuery(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/c/vote/pledge?name=FromQuery&lang=hi&name=again", strings.NewReader("phone=9876543210"))
	r.Header.Set("Content-Type", fuzzFormCT)
	in, err := decodeForm(httptest.NewRecorder(), r)
	if err != nil {
		t.Fatal(err)
	}
	if in != (pledge.Input{Phone: "9876543210"}) {
		t.Errorf("query string leaked into the form: %+v", in)
	}
}

func TestDecodeFormLimit(t *testing.T) {
	prefix := "name="
	at := prefix + strings.Repeat("a", maxFormBody-len(prefix))
	if _, err := decodeForm(httptest.NewRecorder(), fuzzFormRequest(at, fuzzFormCT)); err != nil {
		t.Errorf("body of exactly %d bytes refused: %v", maxFormBody, err)
	}
	_, err := decodeForm(httptest.NewRecorder(), fuzzFormRequest(at+"a", fuzzFormCT))
	if fuzzErrKind(err) != "large" {
		t.Errorf("body of %d bytes: %v", maxFormBody+1, err)
	}
	if st, _ := status(err); st != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", st)
	}
}

func TestDecodePledgeJSON(t *testing.T) {
	cases := []struct {
		name, ct, body string
		want           apiPledgeRequest
		err            string
	}{
		{"all fields", fuzzJSONCT, `{"name":"Asha Devi","phone":"+91 98765-43210","region":"DL-01","email":"a@b.in","lang":"hi"}`,
			apiPledgeRequest{Name: "Asha Devi", Phone: "+91 98765-43210", Region: "DL-01", Email: "a@b.in", Lang: "hi"}, ""},
		{"charset", fuzzJSONCT + "; charset=utf-8", `{"name":"आशा"}`, apiPledgeRequest{Name: "आशा"}, ""},
		{"escapes", fuzzJSONCT, `{"name":"\u0906\u0936\u093e"}`, apiPledgeRequest{Name: "आशा"}, ""},
		{"white space around", fuzzJSONCT, " \n\t{\"name\":\"x\"}\r\n ", apiPledgeRequest{Name: "x"}, ""},
		{"empty object", fuzzJSONCT, `{}`, apiPledgeRequest{}, ""},
		{"null field", fuzzJSONCT, `{"name":null}`, apiPledgeRequest{}, ""},
		{"no content type", "", `{}`, apiPledgeRequest{}, "media"},
		{"form type", fuzzFormCT, `{}`, apiPledgeRequest{}, "media"},
		{"text type", "text/plain", `{}`, apiPledgeRequest{}, "media"},
		{"json-ish type", "application/json-patch+json", `{}`, apiPledgeRequest{}, "media"},
		{"empty body", fuzzJSONCT, ``, apiPledgeRequest{}, "bad"},
		{"unknown field", fuzzJSONCT, `{"name":"x","admin":true}`, apiPledgeRequest{}, "bad"},
		{"wrong type", fuzzJSONCT, `{"name":5}`, apiPledgeRequest{}, "bad"},
		{"huge number", fuzzJSONCT, `{"name":1e400}`, apiPledgeRequest{}, "bad"},
		{"quote and colon in a value", fuzzJSONCT, `{"name":"a\":b","phone":"\\"}`, apiPledgeRequest{Name: `a":b`, Phone: `\`}, ""},
		{"array", fuzzJSONCT, `[{"name":"x"}]`, apiPledgeRequest{}, "bad"},
		{"string", fuzzJSONCT, `"x"`, apiPledgeRequest{}, "bad"},
		{"two objects", fuzzJSONCT, `{"name":"x"}{"name":"y"}`, apiPledgeRequest{}, "bad"},
		{"trailing garbage", fuzzJSONCT, `{"name":"x"} x`, apiPledgeRequest{}, "bad"},
		{"trailing comma", fuzzJSONCT, `{"name":"x",}`, apiPledgeRequest{}, "bad"},
		{"truncated", fuzzJSONCT, `{"name":"x"`, apiPledgeRequest{}, "bad"},
		{"too large", fuzzJSONCT, `{"name":"` + strings.Repeat("a", maxJSONBody) + `"}`, apiPledgeRequest{}, "large"},
		{"large trailing space", fuzzJSONCT, `{"name":"x"}` + strings.Repeat(" ", maxJSONBody), apiPledgeRequest{}, "large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := decodePledgeJSON(httptest.NewRecorder(), fuzzFormRequest(tc.body, tc.ct))
			if tc.err != "" {
				if err == nil {
					t.Fatalf("accepted: %+v", req)
				}
				if k := fuzzErrKind(err); k != tc.err {
					t.Fatalf("error %v is %q, want %q", err, k, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if req != tc.want {
				t.Errorf("got %+v, want %+v", req, tc.want)
			}
		})
	}
}

// TestDecodePledgeJSONStrictness lists inputs a strict decoder should refuse
// but encoding/json lets through.
func TestDecodePledgeJSONStrictness(t *testing.T) {
	for _, body := range []string{`null`, `{"name":"a","name":"b"}`, `{"NAME":"x"}`, `{"Phone":"9876543210"}`} {
		if req, err := decodePledgeJSON(httptest.NewRecorder(), fuzzFormRequest(body, fuzzJSONCT)); err == nil {
			t.Errorf("%s accepted as %+v", body, req)
		}
	}
}

func FuzzDecodeForm(f *testing.F) {
	for _, s := range []string{
		"name=Asha+Devi&phone=%2B91+98765-43210&region=DL-01&email=a%40b.in&lang=hi",
		"name=%E0%A4%86%E0%A4%B6%E0%A4%BE&phone=९८७६५४३२१०",
		"", "=", "&", "&&", "name", "name=", "name=a&name=b", "name=a&na%6De=b", "name=a;phone=b",
		"name=%zz", "name=%", "a=1&b=2&c=3", "name=\xff", "+=+", "name=a&NAME=b",
		"name=" + strings.Repeat("a", maxFormBody),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		in, err := decodeForm(httptest.NewRecorder(), fuzzFormRequest(body, fuzzFormCT))
		q, qerr := url.ParseQuery(body)
		single := true
		for _, vs := range q {
			single = single && len(vs) == 1
		}
		if err != nil {
			switch fuzzErrKind(err) {
			case "bad", "large":
			default:
				t.Fatalf("body %q: unexpected error %v", body, err)
			}
			if st, _ := status(err); st != http.StatusBadRequest && st != http.StatusRequestEntityTooLarge {
				t.Fatalf("body %q: status %d", body, st)
			}
			// Anything well-formed, small and without repeats must pass.
			if qerr == nil && single && len(body) <= maxFormBody {
				t.Fatalf("body %q refused: %v", body, err)
			}
			// Nothing of a refused form is used but its lang, for the
			// refusal's page.
			if in != (pledge.Input{Lang: in.Lang}) {
				t.Fatalf("body %q: input %+v alongside an error", body, in)
			}
			return
		}
		if len(body) > maxFormBody {
			t.Fatalf("accepted a %d-byte body", len(body))
		}
		if qerr != nil {
			t.Fatalf("body %q accepted although url.ParseQuery says %v", body, qerr)
		}
		if !single {
			t.Fatalf("body %q accepted with a field given twice: %v", body, q)
		}
		want := pledge.Input{Name: q.Get("name"), Phone: q.Get("phone"), Region: q.Get("region"), Email: q.Get("email"), Lang: q.Get("lang")}
		if in != want {
			t.Fatalf("body %q: got %+v, want %+v", body, in, want)
		}
		// Encoding the result and decoding it again gives the same input.
		re := url.Values{}
		for k, v := range map[string]string{"name": in.Name, "phone": in.Phone, "region": in.Region, "email": in.Email, "lang": in.Lang} {
			if v != "" {
				re.Set(k, v)
			}
		}
		if enc := re.Encode(); len(enc) <= maxFormBody {
			again, err := decodeForm(httptest.NewRecorder(), fuzzFormRequest(enc, fuzzFormCT))
			if err != nil || again != in {
				t.Fatalf("re-encoded %q: %+v, %v; want %+v", enc, again, err, in)
			}
		}
	})
}

func FuzzDecodePledgeJSON(f *testing.F) {
	for _, s := range []string{
		`{"name":"Asha Devi","phone":"+91 98765-43210","region":"DL-01","email":"a@b.in","lang":"hi"}`,
		`{"name":"\u0906\u0936\u093e","phone":"९८७६५४३२१०"}`,
		`{}`, `null`, `[]`, `""`, `0`, `{"name":null}`, `{"name":"a","name":"b"}`, `{"NAME":"x"}`,
		`{"admin":true}`, `{"name":"x"}{}`, `{"name":"x"} `, `{"name":"x"`, "{\"name\":\"\xff\"}",
		`{"name":"\ud800"}`, `{"name":"<script>&"}`, ``, ` `, `{"name":"a\":b"}`, `{"name":"\\","phone":":"}`,
		`{"name":"` + strings.Repeat("a", maxJSONBody) + `"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req, err := decodePledgeJSON(httptest.NewRecorder(), fuzzFormRequest(body, fuzzJSONCT))
		if keys, ok := objectKeys(body); ok && err != nil && len(body) <= maxJSONBody && json.Valid([]byte(body)) {
			seen, fine := map[string]bool{}, true
			for _, k := range keys {
				fine = fine && !seen[k] && slices.Contains([]string{"name", "phone", "region", "email", "lang"}, k)
				seen[k] = true
			}
			if fine {
				t.Fatalf("refused %q, one object of known fields, each once: %v", body, err)
			}
		}
		if err != nil {
			switch fuzzErrKind(err) {
			case "bad", "large":
			default:
				t.Fatalf("body %q: unexpected error %v", body, err)
			}
			if st, _ := status(err); st != http.StatusBadRequest && st != http.StatusRequestEntityTooLarge {
				t.Fatalf("body %q: status %d", body, st)
			}
			return
		}
		if len(body) > maxJSONBody {
			t.Fatalf("accepted a %d-byte body", len(body))
		}
		// What was accepted is valid JSON (decodeStrict must not accept
		// anything the standard library calls invalid).
		if !json.Valid([]byte(body)) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		if keys, ok := objectKeys(body); !ok {
			t.Fatalf("accepted %q, which is not one flat object", body)
		} else {
			seen := map[string]bool{}
			for _, k := range keys {
				if seen[k] || !slices.Contains([]string{"name", "phone", "region", "email", "lang"}, k) {
					t.Fatalf("accepted %q: key %q repeated or not a field", body, k)
				}
				seen[k] = true
			}
		}
		// Each field holds what encoding/json reads from the body.
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("accepted %q, which encoding/json refuses: %v", body, err)
		}
		want := func(k string) string { s, _ := m[k].(string); return s }
		if w := (apiPledgeRequest{Name: want("name"), Phone: want("phone"), Region: want("region"), Email: want("email"), Lang: want("lang")}); req != w {
			t.Fatalf("body %q decoded to %+v; encoding/json reads %+v", body, req, w)
		}
		b, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("re-marshal %+v: %v", req, err)
		}
		if len(b) > maxJSONBody {
			return // escaping can make the body grow past the limit
		}
		again, err := decodePledgeJSON(httptest.NewRecorder(), fuzzFormRequest(string(b), fuzzJSONCT))
		if err != nil || again != req {
			t.Fatalf("body %q: re-marshalled %s decodes to %+v, %v; want %+v", body, b, again, err, req)
		}
		// pledge.Input is the same shape; the handler converts directly.
		if pledge.Input(req) != pledge.Input(again) {
			t.Fatal("conversion to pledge.Input differs")
		}
	})
}

// TestDecodeFormBadQuery: decodeForm reads only the body, but r.ParseForm
// also parses the URL's query, so a malformed query string (a semicolon from
// a tracking link, a stray %) makes a good form body a 400.
func TestDecodeFormBadQuery(t *testing.T) {
	for _, target := range []string{"/c/vote?utm_source=a;b", "/c/vote?x=%zz"} {
		r := httptest.NewRequest(http.MethodPost, target, strings.NewReader("name=Asha&phone=9876543210"))
		r.Header.Set("Content-Type", fuzzFormCT)
		if in, err := decodeForm(httptest.NewRecorder(), r); err != nil || in.Name != "Asha" {
			t.Errorf("POST %s: %+v, %v", target, in, err)
		}
	}
}

// BenchmarkDecodePledgeJSON: the strict decoder on a typical body.
func BenchmarkDecodePledgeJSON(b *testing.B) {
	body := `{"name":"Asha Devi","phone":"+91 98765-43210","region":"DL-01","email":"asha@example.org","lang":"hi"}`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodePledgeJSON(httptest.NewRecorder(), fuzzFormRequest(body, fuzzJSONCT)); err != nil {
			b.Fatal(err)
		}
	}
}

// objectKeys walks body, token by token, as one JSON object of strings and
// nulls and returns its keys in order; ok is false if it is anything else.
func objectKeys(body string) (keys []string, ok bool) {
	dec := json.NewDecoder(strings.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, false
		}
		keys = append(keys, key.(string))
		switch v, err := dec.Token(); {
		case err != nil:
			return nil, false
		case v == nil:
		default:
			if _, isString := v.(string); !isString {
				return nil, false
			}
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, false
	}
	_, err := dec.Token()
	return keys, errors.Is(err, io.EOF)
}
