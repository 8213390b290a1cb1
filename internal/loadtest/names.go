package loadtest

import "golang.org/x/text/unicode/norm"

// Script names a writing system the generated names are drawn from.
type Script string

// The scripts of generated names. ScriptMixed is a name that combines a
// Latin part with a Devanagari one, as people often type them.
const (
	ScriptLatin      Script = "latin"
	ScriptDevanagari Script = "devanagari"
	ScriptMixed      Script = "mixed"
	ScriptBengali    Script = "bengali"
	ScriptTamil      Script = "tamil"
	ScriptTelugu     Script = "telugu"
	ScriptGujarati   Script = "gujarati"
	ScriptGurmukhi   Script = "gurmukhi"
	ScriptKannada    Script = "kannada"
	ScriptMalayalam  Script = "malayalam"
	ScriptOdia       Script = "odia"
)

// namePool is the given names and surnames of one script, and the language
// code of the people who write their names in it.
type namePool struct {
	script   Script
	lang     string
	weight   uint64 // share of generated names, in percent
	given    []string
	surnames []string
}

// pools lists the scripts with their shares of generated names; the weights
// add up to 100. The mixed pool is built from the Latin and Devanagari ones.
var pools = []namePool{
	{script: ScriptLatin, lang: "en", weight: 40,
		given: []string{
			"Aarav", "Priya", "Rahul", "Ananya", "Vikram", "Sneha", "Arjun", "Kavya", "Rohan", "Meera",
			"Siddharth", "Fatima", "Imran", "Gurpreet", "Harpreet", "Lakshmi", "Venkatesh", "Deepa",
			"Mohammed", "Ayesha", "Joseph", "Mary", "Suresh", "Pooja", "Karthik", "Divya", "Nikhil",
			"Shreya", "Anil", "Sunita", "Ravi", "Neha", "Abdul", "Zoya", "Thomas", "Aditi",
		},
		surnames: []string{
			"Sharma", "Verma", "Patel", "Singh", "Kumar", "Reddy", "Nair", "Iyer", "Das", "Banerjee",
			"Mukherjee", "Khan", "Ansari", "Gupta", "Joshi", "Kulkarni", "Deshmukh", "Pillai", "Menon",
			"Chatterjee", "Yadav", "Chauhan", "Rao", "Naidu", "D'Souza", "Fernandes", "Sen", "Bose",
			"Ghosh", "Shaikh", "Kaur", "Mehta", "Bhat", "Hegde", "Sahu", "Mishra",
		}},
	{script: ScriptDevanagari, lang: "hi", weight: 25,
		given: []string{
			"आरव", "प्रिया", "राहुल", "अनन्या", "विक्रम", "स्नेहा", "अर्जुन", "काव्या", "रोहन", "मीरा",
			"सिद्धार्थ", "कृष्णा", "लक्ष्मी", "सुरेश", "पूजा", "दीपक", "ज्योति", "श्रुति", "ऋषि", "आदित्य",
			"ज़ोया", "सुनीता", "रवि", "नेहा",
		},
		surnames: []string{
			"शर्मा", "वर्मा", "पटेल", "सिंह", "कुमार", "यादव", "गुप्ता", "जोशी", "चौहान", "मिश्रा",
			"त्रिपाठी", "तिवारी", "पाण्डेय", "ठाकुर", "श्रीवास्तव", "क़ुरैशी",
		}},
	{script: ScriptMixed, weight: 10}, // Latin given name with Devanagari surname, or the reverse
	{script: ScriptBengali, lang: "bn", weight: 5,
		given:    []string{"অনির্বাণ", "সৌরভ", "প্রিয়াঙ্কা", "দেবাশীষ", "মৌমিতা", "সুদীপ্ত", "রূপা", "অর্পিতা"},
		surnames: []string{"বন্দ্যোপাধ্যায়", "মুখোপাধ্যায়", "চট্টোপাধ্যায়", "দাস", "ঘোষ", "বসু", "সেন", "রায়"}},
	{script: ScriptTamil, lang: "ta", weight: 5,
		given:    []string{"அருண்", "கார்த்திக்", "பிரியா", "லட்சுமி", "செந்தில்", "மீனா", "விஜய்", "தமிழ்செல்வி"},
		surnames: []string{"முருகன்", "சுப்பிரமணியம்", "ராஜேந்திரன்", "கிருஷ்ணன்", "வேலு", "பாண்டியன்"}},
	{script: ScriptTelugu, lang: "te", weight: 4,
		given:    []string{"వెంకట్", "శ్రీనివాస్", "లక్ష్మి", "సాయి", "కవిత", "రాము"},
		surnames: []string{"రెడ్డి", "నాయుడు", "రావు", "చౌదరి"}},
	{script: ScriptGujarati, lang: "gu", weight: 3,
		given:    []string{"હાર્દિક", "નેહા", "જયેશ", "ભાવિકા"},
		surnames: []string{"પટેલ", "શાહ", "મહેતા", "દેસાઈ"}},
	{script: ScriptGurmukhi, lang: "pa", weight: 3,
		given:    []string{"ਗੁਰਪ੍ਰੀਤ", "ਹਰਜੀਤ", "ਮਨਪ੍ਰੀਤ", "ਜਸਲੀਨ"},
		surnames: []string{"ਸਿੰਘ", "ਕੌਰ", "ਗਿੱਲ", "ਸੰਧੂ"}},
	{script: ScriptKannada, lang: "kn", weight: 2,
		given:    []string{"ಮಂಜುನಾಥ", "ಅನಿತಾ", "ರಾಘವೇಂದ್ರ", "ಶ್ವೇತಾ"},
		surnames: []string{"ಗೌಡ", "ಹೆಗಡೆ", "ಶೆಟ್ಟಿ", "ಭಟ್"}},
	// "മേനോന്\u200d" is the older encoding of a final chillu (virama + ZWJ),
	// still produced by some keyboards; the portal must accept the ZWJ.
	{script: ScriptMalayalam, lang: "ml", weight: 2,
		given:    []string{"അനൂപ്", "ലക്ഷ്മി", "ശ്രീജിത്ത്", "ദിവ്യ"},
		surnames: []string{"നായർ", "മേനോൻ", "മേനോന്\u200d", "പിള്ള", "കുറുപ്പ്"}},
	{script: ScriptOdia, lang: "or", weight: 1,
		given:    []string{"ସୌମ୍ୟ", "ପ୍ରିୟଙ୍କା", "ସୁବ୍ରତ"},
		surnames: []string{"ମହାପାତ୍ର", "ପଟ୍ଟନାୟକ", "ଦାସ"}},
}

func init() {
	// Send names in NFC, as the portal stores them: some letters above
	// (Bengali য়, Devanagari ज़) are composition exclusions that NFC splits.
	for i := range pools {
		for j, s := range pools[i].given {
			pools[i].given[j] = norm.NFC.String(s)
		}
		for j, s := range pools[i].surnames {
			pools[i].surnames[j] = norm.NFC.String(s)
		}
	}
}

// Salts that keep the pseudo-random choices about one identity independent.
const (
	saltScript uint64 = iota + 1
	saltGiven
	saltSurname
	saltInitial
	saltRegion
	saltForm
	saltRepeat
	saltRepeatForm
)

// Name returns the name of identity n of seed, and the script it is
// written in. The same (seed, n) always gives the same name; names are not
// unique. About 40% are Latin, 25% Devanagari, 10% mixed and the rest in
// the other scripts of India.
func Name(seed int64, n uint64) (string, Script) {
	p := pickPool(mix(seed, n, saltScript) % 100)
	g, s := mix(seed, n, saltGiven), mix(seed, n, saltSurname)
	switch p.script {
	case ScriptMixed:
		latin, deva := &pools[0], &pools[1]
		if g%2 == 0 {
			return pick(latin.given, g/2) + " " + pick(deva.surnames, s), ScriptMixed
		}
		return pick(deva.given, g/2) + " " + pick(latin.surnames, s), ScriptMixed
	case ScriptLatin:
		// One Latin name in eight carries a middle initial, as on many
		// Indian documents: "Priya K. Sharma".
		if i := mix(seed, n, saltInitial); i%8 == 0 {
			initial := string(rune('A' + (i/8)%26))
			return pick(p.given, g) + " " + initial + ". " + pick(p.surnames, s), p.script
		}
	}
	return pick(p.given, g) + " " + pick(p.surnames, s), p.script
}

// nameLang returns the language a person with a name in script would
// choose, if the campaign offers it, else fallback.
func nameLang(script Script, langs []string, fallback string) string {
	for _, p := range pools {
		if p.script == script && p.lang != "" {
			for _, l := range langs {
				if l == p.lang {
					return l
				}
			}
		}
	}
	return fallback
}

// pickPool returns the pool that percentile u (0..99) falls in.
func pickPool(u uint64) *namePool {
	for i := range pools {
		if u < pools[i].weight {
			return &pools[i]
		}
		u -= pools[i].weight
	}
	return &pools[0]
}

func pick(list []string, u uint64) string { return list[u%uint64(len(list))] }

// mix returns a well-mixed 64-bit value from seed, n and salt (SplitMix64's
// finaliser over a combination of the three).
func mix(seed int64, n, salt uint64) uint64 {
	z := uint64(seed)*0x9e3779b97f4a7c15 ^ n*0xbf58476d1ce4e5b9 ^ salt*0x94d049bb133111eb
	z += 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// unit returns mix(seed, n, salt) as a float in [0, 1).
func unit(seed int64, n, salt uint64) float64 {
	return float64(mix(seed, n, salt)>>11) / (1 << 53)
}
