package redisconn_test

import (
	"strings"
	"testing"

	"github.com/imgq/imgq/internal/redisconn"
)

func TestParseSentinelURL(t *testing.T) {
	fo, err := redisconn.ParseSentinelURL("redis+sentinel://bob:hunter2@10.0.0.1:26380,10.0.0.2,[::1]:5000,[::2]/mymaster/3?dial_timeout=3s&sentinel_password=s3ntinel")
	if err != nil {
		t.Fatal(err)
	}
	wantAddrs := []string{"10.0.0.1:26380", "10.0.0.2:26379", "[::1]:5000", "[::2]:26379"}
	if strings.Join(fo.SentinelAddrs, " ") != strings.Join(wantAddrs, " ") {
		t.Errorf("sentinel addrs %v, want %v", fo.SentinelAddrs, wantAddrs)
	}
	if fo.MasterName != "mymaster" || fo.DB != 3 || fo.Username != "bob" || fo.Password != "hunter2" ||
		fo.SentinelPassword != "s3ntinel" || fo.SentinelUsername != "" || fo.DialTimeout.Seconds() != 3 {
		t.Errorf("options %+v", fo)
	}
	fo, err = redisconn.ParseSentinelURL("redis+sentinel://sentinel.example/cache")
	if err != nil || fo.DB != 0 || fo.Password != "" || fo.SentinelAddrs[0] != "sentinel.example:26379" {
		t.Fatalf("defaults: %+v %v", fo, err)
	}
	for _, bad := range []string{
		"redis+sentinel://:hunter2@h1:1,h2:2",             // no master name
		"redis+sentinel://:hunter2@h1:1,h2:2/",            // empty master name
		"redis+sentinel://:hunter2@h1:1,,h2:2/m",          // empty host
		"redis+sentinel://:hunter2@h1:99999/m",            // bad port
		"redis+sentinel://:hunter2@h1:1/m/x",              // bad db
		"redis+sentinel://:hunter2@h1:1/m/0/extra",        // too long a path
		"redis+sentinel://:hunter2@h 1:1/m",               // space in a host
		"redis+sentinel://h1:1/m?password=hunter2",        // password in the query
		"redis+sentinel://:hunter2@h1:1/m?bogus=hunter2x", // unknown option
		"redis+sentinel://:hunter2@::1/m",                 // unbracketed IPv6
	} {
		_, err := redisconn.ParseSentinelURL(bad)
		if err == nil {
			t.Errorf("%q accepted", bad)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: error leaks the password: %v", bad, err)
		}
	}
	// A plain redis:// parser refuses a Sentinel URL with a hint, not a leak.
	if _, err := redisconn.ParseURL("redis+sentinel://:hunter2@h1:1/m"); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("ParseURL of a sentinel URL: %v", err)
	}
}

func TestRedactSentinel(t *testing.T) {
	cases := map[string]string{
		"redis+sentinel://:hunter2@h1:26379,h2:26380/mymaster":                 "redis+sentinel://:xxxxx@h1:26379,h2:26380/mymaster",
		"redis+sentinel://bob:hunter2@[::1]:1,[::1]/m/2":                       "redis+sentinel://bob:xxxxx@[::1]:1,[::1]/m/2",
		"redis+sentinel://h1,h2/m?sentinel_password=hunter2&dial_timeout=1s":   "redis+sentinel://h1,h2/m?sentinel_password=xxxxx&dial_timeout=1s",
		"redis+sentinel://h1/m?sentinel_username=ops&sentinel_password=hunt3r": "redis+sentinel://h1/m?sentinel_username=ops&sentinel_password=xxxxx",
		"REDIS+SENTINEL://:hunter2@h1/m":                                       "redis+sentinel://:xxxxx@h1/m",
		"redis+sentinel://:hunter2@h 1/m":                                      "<unparseable redis url>",
		"redis+sentinel://:hunter2@/m":                                         "<unparseable redis url>",
	}
	for in, want := range cases {
		if got := redisconn.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
