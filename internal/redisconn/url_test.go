package redisconn_test

import (
	"strings"
	"testing"

	"github.com/imgq/imgq/internal/redisconn"
)

func TestParseURL(t *testing.T) {
	o, err := redisconn.ParseURL("redis://bob:hunter2@10.0.0.5:6380/3")
	if err != nil {
		t.Fatal(err)
	}
	if o.Addr != "10.0.0.5:6380" || o.Username != "bob" || o.Password != "hunter2" || o.DB != 3 || o.TLSConfig != nil {
		t.Fatalf("options %+v", o)
	}
	o, err = redisconn.ParseURL("rediss://:pw@cache.example:6379/0")
	if err != nil || o.TLSConfig == nil || o.TLSConfig.ServerName != "cache.example" {
		t.Fatalf("rediss: %+v %v", o, err)
	}
	for _, bad := range []string{"http://:hunter2@h:1/0", "hunter2", "redis://:hunter2@h:1/notadb", "redis://", "://:hunter2@x",
		"redis://127.0.0.1:1/0?password=hunter2", "redis://h:1/0?pass=hunter2", "redis://h:1/0?db=1&x=hunter2"} {
		_, err := redisconn.ParseURL(bad)
		if err == nil {
			t.Errorf("%q accepted", bad)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: error leaks the password: %v", bad, err)
		}
	}
}

func TestRedact(t *testing.T) {
	cases := map[string]string{
		"redis://:hunter2@h:6379/0":                        "redis://:xxxxx@h:6379/0",
		"redis://bob:hunter2@h:6379/0":                     "redis://bob:xxxxx@h:6379/0",
		"redis://h:6379/0":                                 "redis://h:6379/0",
		"not a url :hunter2":                               "<unparseable redis url>",
		"redis://127.0.0.1:1/0?password=hunter2":           "redis://127.0.0.1:1/0?password=xxxxx",
		"redis://h:1/0?db=2&token=hunter2&dial_timeout=1s": "redis://h:1/0?db=2&token=xxxxx&dial_timeout=1s",
		"redis://h:1/0?hunter2%21":                         "redis://h:1/0?xxxxx",
		"redis://h:1/0#hunter2":                            "redis://h:1/0",
	}
	for in, want := range cases {
		if got := redisconn.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
