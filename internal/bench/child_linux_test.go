//go:build linux

package bench

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Issue 12.7: the worker children of `imgq bench queue` and `bench memory` get
// the Redis URL (and its password) through the environment: their command line,
// which every user of the machine can read in /proc/PID/cmdline (ps aux), holds
// no password.
func TestChildWorkerPasswordNotInCmdline(t *testing.T) {
	const pw = "s3cret-bench-pw"
	url := "redis://:" + pw + "@127.0.0.1:6390/0"
	// A stand-in for the imgq binary that stays alive so /proc can be read.
	exe := filepath.Join(t.TempDir(), "imgq")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\nsleep 5\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := childWorker(ctx, exe, url, "--queue", "q", "--id", "w1")
	for _, a := range cmd.Args {
		if strings.Contains(a, pw) {
			t.Fatalf("child argv %q holds the password", cmd.Args)
		}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var cmdline []byte
	for i := 0; i < 100; i++ {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "cmdline"))
		if err == nil && strings.Contains(string(b), "worker") {
			cmdline = b
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if cmdline == nil {
		t.Fatal("no command line of the child in /proc")
	}
	if strings.Contains(string(cmdline), pw) {
		t.Fatalf("/proc/%d/cmdline holds the password: %q", cmd.Process.Pid, cmdline)
	}
	env, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "environ"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(env), "REDIS_URL="+url) {
		t.Fatalf("the child's environment has no REDIS_URL=%s", url)
	}
	t.Logf("child cmdline %q: no password; REDIS_URL in its environment", strings.ReplaceAll(string(cmdline), "\x00", " "))
}
