package redisconn

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzParseURL: ParseURL and Redact never panic, and neither Redact's output nor
// ParseURL's error ever contains the URL's password when it has one.
// Seeds live in testdata/fuzz/FuzzParseURL and run as ordinary tests.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"redis://127.0.0.1:6379/0",
		"redis://:s3cret-pass@127.0.0.1:6379/0",
		"redis://user:hunter2@host:6379/3",
		"rediss://u:p%40ss@example.com:6380/0",
		"redis://:pw@host:6379/notadb",
		"redis://:pw@host:99999/0",
		"http://:pw@host/0",
		"redis://:pw@/0",
		"://:pw@host",
		"redis://:%zz@host:1/0",
		"redis://[::1]:6379/0",
		"redis://127.0.0.1:1/0?password=hunter22",
		"redis://127.0.0.1:1/0?password=p%40ss%2Fword",
		"redis://h:1/0?pass=s3cretive&db=2",
		"redis://h:1/0?token=s3cretive&dial_timeout=oops",
		"redis://:pw12345@h:1/0?max_retries=pw12345x",
		"redis://h:1/0#fragsecret",
		"redis+sentinel://:s3cret-pass@127.0.0.1:26379,[::1]/mymaster/2",
		"redis+sentinel://u:hunter2@h1,h2:5/m?sentinel_password=s3ntinel&dial_timeout=1s",
		"redis+sentinel://:pw12345@h1:1/m?bogus=pw12345x",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		red := Redact(raw)
		opts, err := ParseURL(raw)
		_, serr := ParseSentinelURL(raw)
		u, hosts, uerr := parseAny(raw)
		if uerr != nil {
			return
		}
		u.Host += hosts // the sentinel host list is shown as it is
		// Every form a password comes in: the user info, ?password= and any
		// query parameter that is not a go-redis option (?pass=, ?token=...).
		var pws []string
		if p, has := u.User.Password(); has {
			pws = append(pws, p)
		}
		for _, part := range strings.Split(u.RawQuery, "&") {
			k, v, _ := strings.Cut(part, "=")
			if !publicOptions[k] {
				if d, err := url.QueryUnescape(v); err == nil {
					v = d
				}
				pws = append(pws, v)
			}
		}
		for _, pw := range pws {
			if len(pw) < 4 || strings.Contains(fixedText, strings.ToLower(pw)) {
				// A password of a few characters, or one that is a word of the fixed
				// message text ("password", "redis"), may legitimately appear in a
				// message: only check real ones.
				continue
			}
			if strings.Count(raw, pw) > 1 || otherParts(u, pw) {
				continue // the password also appears elsewhere in the URL (the host, the db...)
			}
			if strings.Contains(red, pw) {
				t.Fatalf("Redact(%q) = %q leaks the password %q", raw, red, pw)
			}
			if err != nil && strings.Contains(err.Error(), pw) {
				t.Fatalf("ParseURL(%q) error %q leaks the password %q", raw, err, pw)
			}
			if serr != nil && strings.Contains(serr.Error(), pw) {
				t.Fatalf("ParseSentinelURL(%q) error %q leaks the password %q", raw, serr, pw)
			}
			if de := DescribeError(red, errString("WRONGPASS invalid username-password pair")); strings.Contains(de.Error(), pw) {
				t.Fatalf("DescribeError leaks the password: %v", de)
			}
		}
		if p, has := u.User.Password(); has && err == nil && hosts == "" && opts.Password != p {
			t.Fatalf("ParseURL(%q) password = %q, want %q", raw, opts.Password, p)
		}
	})
}

// otherParts: pw is (part of) a part of u that is not secret and is shown as it
// is (scheme, user name, host, path, public option names and values).
func otherParts(u *url.URL, pw string) bool {
	pub := []string{u.Scheme, u.User.Username(), u.Host, u.Path, u.EscapedPath()}
	for _, part := range strings.Split(u.RawQuery, "&") {
		k, v, _ := strings.Cut(part, "=")
		pub = append(pub, k)
		if publicOptions[k] {
			pub = append(pub, v, safeValue(v))
		}
	}
	for _, p := range pub {
		if strings.Contains(p, pw) {
			return true
		}
	}
	return false
}

// fixedText is the fixed wording of every message ParseURL, Redact and
// DescribeError (and go-redis' URL parser) can produce.
const fixedText = "<unparseable redis url> redis url not a url (want redis://[user:password@]host:port/db) " +
	"missing scheme (want redis:// or rediss://) unsupported scheme missing host xxxxx " +
	"redis: invalid url scheme invalid database number invalid port no options supplied unexpected option " +
	"redis at refused the password: authentication failed needs a password (redis://:password@host:port) " +
	"nothing answers at (is redis-server running?): redis unreachable did not answer " +
	"wrongpass invalid username-password pair 127.0.0.1:6379 " +
	"a password goes in the user info (redis://:password@host:port/db), not in ?password= " +
	"invalid url path: duration boolean expected true/false/1/0 or an empty string, got " +
	"malformed sentinel host list want redis+sentinel://[user:password@]host1:port1,host2:port2/mastername[/db] " +
	"sentinel host want host:port or [ipv6]:port bad port missing host name empty host in the sentinel list " +
	"the path names the master this needs one server's address (redis://host:port/db), not a sentinel master name " +
	"the master's password goes in the user info (redis+sentinel://:password@hosts/master), not in ?password= " +
	"redis+sentinel:// sentinels.invalid"

type errString string

func (e errString) Error() string { return string(e) }
