package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// An unknown --theme is a usage error naming the four themes, refused before
// the dashboard connects anywhere (the Redis URL points at nothing).
func TestDashUnknownThemeIsAUsageError(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Execute(context.Background(), []string{"--theme", "neon", "--redis", "redis://127.0.0.1:1/0"}, &out, &errOut)
	msg := errOut.String()
	if code != 2 || !strings.Contains(msg, `"neon"`) {
		t.Fatalf("--theme neon: exit %d, %q", code, msg)
	}
	for _, name := range []string{"auto", "dark", "light", "contrast"} {
		if !strings.Contains(msg, name) {
			t.Errorf("the error %q does not list %s", msg, name)
		}
	}
}
