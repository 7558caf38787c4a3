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
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		red := Redact(raw)
		opts, err := ParseURL(raw)
		u, uerr := url.Parse(raw)
		if uerr != nil || u.User == nil {
			return
		}
		pw, has := u.User.Password()
		if !has || len(pw) < 4 || strings.Contains(fixedText, strings.ToLower(pw)) {
			// A password of a few characters, or one that is a word of the fixed
			// message text ("password", "redis"), may legitimately appear in a
			// message: only check real ones.
			return
		}
		if strings.Contains(strings.ReplaceAll(raw, ":"+pw+"@", ""), pw) {
			return // the password also appears elsewhere in the URL (the host, the db...)
		}
		if strings.Contains(red, pw) {
			t.Fatalf("Redact(%q) = %q leaks the password", raw, red)
		}
		if err != nil && strings.Contains(err.Error(), pw) {
			t.Fatalf("ParseURL(%q) error %q leaks the password", raw, err)
		}
		if err == nil && opts.Password != pw {
			t.Fatalf("ParseURL(%q) password = %q, want %q", raw, opts.Password, pw)
		}
		if de := DescribeError(red, errString("WRONGPASS invalid username-password pair")); strings.Contains(de.Error(), pw) {
			t.Fatalf("DescribeError leaks the password: %v", de)
		}
	})
}

// fixedText is the fixed wording of every message ParseURL, Redact and
// DescribeError (and go-redis' URL parser) can produce.
const fixedText = "<unparseable redis url> redis url not a url (want redis://[user:password@]host:port/db) " +
	"missing scheme (want redis:// or rediss://) unsupported scheme missing host xxxxx " +
	"redis: invalid url scheme invalid database number invalid port no options supplied unexpected option " +
	"redis at refused the password: authentication failed needs a password (redis://:password@host:port) " +
	"nothing answers at (is redis-server running?): redis unreachable did not answer " +
	"wrongpass invalid username-password pair 127.0.0.1:6379"

type errString string

func (e errString) Error() string { return string(e) }
