package cli

// CLI tests as scripts (testdata/script/*.txtar, rogpeppe/go-internal's
// testscript, as soft-serve does): each runs the real `imgq` command (this test
// binary, installed on $PATH by testscript.Main) against its own redis-server
// and checks stdout, stderr and the exit code. `go test ./cli -run TestScript/NAME`
// runs one; -testwork keeps its folder.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rogpeppe/go-internal/testscript"
	"go.uber.org/goleak"

	"github.com/imgq/imgq/internal/redisserver"
	"github.com/imgq/imgq/workers/pipeline"
)

func TestMain(m *testing.M) {
	testscript.Main(leakChecked{m}, map[string]func(){
		"imgq": func() { os.Exit(Execute(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// leakChecked runs the tests, then fails the binary if any goroutine they
// started is still running (goleak.VerifyTestMain, under testscript.Main).
type leakChecked struct{ m *testing.M }

func (l leakChecked) Run() int {
	code := l.m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: errors on successful test run: %v\n", err)
			return 1
		}
	}
	return code
}

// scriptPassword protects every script's server, so a wrong password is refused.
const scriptPassword = "script-pw"

func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup:               setupScriptRedis,
		Cmds:                map[string]func(*testscript.TestScript, bool, []string){"exits": cmdExits, "waitstat": cmdWaitStat, "idfrom": cmdIDFrom, "mkjpeg": cmdMkJPEG},
	})
}

// setupScriptRedis starts the script's own redis-server: $REDIS is its URL
// (with the password), $REDIS_ADDR its host:port, and REDIS_URL (what --redis
// defaults to) is unset so nothing reaches a server by accident.
func setupScriptRedis(env *testscript.Env) error {
	srv, err := redisserver.Start(context.Background(), redisserver.Options{Password: scriptPassword})
	if err != nil {
		return err
	}
	env.Defer(srv.Close)
	env.Setenv("REDIS", srv.URL())
	env.Setenv("REDIS_ADDR", srv.Addr())
	env.Setenv("REDIS_URL", "")
	return nil
}

// exits N PROGRAM ARGS... runs the program like exec and checks that its exit
// code is N (exec only tells zero from non-zero; imgq exits 2 for a misuse, 1
// for a failure). Its stdout and stderr are checked as exec's.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits N PROGRAM ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// waitstat QUEUE FIELD N waits until the counter FIELD of the queue's stats
// hash reaches N (a worker running in the background has done its work); QUEUE
// may be a comma-separated list (a sharded queue's shards), whose counters add
// up. The minute is a guard against a hang, not a speed target.
func cmdWaitStat(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: waitstat QUEUE FIELD N")
	}
	want, err := strconv.ParseInt(args[2], 10, 64)
	ts.Check(err)
	opt, err := redis.ParseURL(ts.Getenv("REDIS"))
	ts.Check(err)
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx := context.Background()
	var n int64
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		n = 0
		for _, q := range strings.Split(args[0], ",") {
			v, err := rdb.HGet(ctx, q+":stats", args[1]).Int64()
			if err != nil && !errors.Is(err, redis.Nil) {
				ts.Fatalf("waitstat: %v", err)
			}
			n += v
		}
		if n >= want {
			return
		}
	}
	ts.Fatalf("waitstat: %s %s is %d after a minute, want %d", args[0], args[1], n, want)
}

// mkjpeg FILE W H writes a sample JPEG (txtar holds text only).
func cmdMkJPEG(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: mkjpeg FILE W H")
	}
	w, err := strconv.Atoi(args[1])
	ts.Check(err)
	h, err := strconv.Atoi(args[2])
	ts.Check(err)
	b, err := pipeline.SampleJPEG(w, h, 1, 90)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o644))
}

// idfrom VAR sets $VAR to the first field of the last command's stdout's first
// line (the task id `imgq enqueue` prints).
func cmdIDFrom(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: idfrom VAR")
	}
	fields := strings.Fields(ts.ReadFile("stdout"))
	if len(fields) == 0 {
		ts.Fatalf("idfrom: empty stdout")
	}
	ts.Setenv(args[0], fields[0])
}
