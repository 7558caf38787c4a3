package redisconn

import (
	"bufio"
	"strings"
	"testing"
)

func TestReadLineBoundsLongLines(t *testing.T) {
	long := strings.Repeat("x", 100000)
	r := bufio.NewReaderSize(strings.NewReader("+short\r\n+"+long+"\r\n"), 16)
	if l, err := readLine(r, 50); err != nil || l != "+short" {
		t.Fatalf("short: %q %v", l, err)
	}
	l, err := readLine(r, 50)
	if err != nil || !strings.HasPrefix(l, "+xxxx") || !strings.HasSuffix(l, "… (100001 bytes)") || len(l) > 80 {
		t.Fatalf("long line kept as %d bytes: %.80q %v", len(l), l, err)
	}
}
