package cli

import (
	"bytes"
	"context"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionFlag(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Execute(context.Background(), []string{"--version"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.HasPrefix(out.String(), "imgq ") || !strings.Contains(out.String(), "revision ") {
		t.Fatalf("imgq --version printed %q", out.String())
	}
}

func TestFormatVersion(t *testing.T) {
	bi := &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}}
	for _, c := range []struct {
		version, revision string
		bi                *debug.BuildInfo
		want              string
	}{
		{"v2.0.0", "abc1234", nil, "v2.0.0 (revision abc1234, "},                                      // stamped by release.sh
		{"", "", bi, "v1.4.0 (revision 0123456789ab-dirty, "},                                         // go install / go build
		{"", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev (revision unknown, "}, // go run
	} {
		if got := formatVersion(c.version, c.revision, c.bi); !strings.HasPrefix(got, c.want) {
			t.Errorf("formatVersion(%q, %q) = %q, want prefix %q", c.version, c.revision, got, c.want)
		}
	}
}
