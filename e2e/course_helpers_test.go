package e2e

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png" // output files may be PNG
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/redistest"
)

// The course's layout, for the default queue name.
const (
	coursePending     = "image_processing:pending"
	coursePendingHigh = "image_processing:pending:high"
	coursePendingLow  = "image_processing:pending:low"
	courseProcessing  = "image_processing:processing"
	courseCompleted   = "image_processing:completed"
	courseFailed      = "image_processing:failed"
)

var (
	pythonOnce sync.Once
	pythonPath string
	pythonErr  string
)

// coursePython finds an interpreter that can import redis and PIL: /usr/bin/python3
// first (Debian's python3-redis and python3-pil), then python3 on PATH. It fails
// the test, never skips: the interop tests are the point of the course layout.
func coursePython(t *testing.T) string {
	t.Helper()
	pythonOnce.Do(func() {
		var tried []string
		cands := []string{"/usr/bin/python3"}
		if p, err := exec.LookPath("python3"); err == nil && p != "/usr/bin/python3" {
			cands = append(cands, p)
		}
		for _, c := range cands {
			out, err := exec.Command(c, "-c", "import redis, PIL").CombinedOutput()
			if err == nil {
				pythonPath = c
				return
			}
			tried = append(tried, fmt.Sprintf("%s: %v %s", c, err, lastLines(string(out), 1)))
		}
		pythonErr = fmt.Sprintf("no python3 that can `import redis, PIL` (tried %s); "+
			"scripts/test.sh installs Debian's python3-redis python3-pil (apt-get install python3-redis python3-pil)",
			strings.Join(tried, "; "))
	})
	if pythonPath == "" {
		t.Fatal(pythonErr)
	}
	return pythonPath
}

// courseScript is the path of one of the course-style Python programs in e2e/course.
func courseScript(name string) string {
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "course", name)
}

// startPy runs e2e/course/<script> --port <srv's port> args... in dir.
func startPy(t *testing.T, srv *redistest.Server, dir, script string, args ...string) *Proc {
	t.Helper()
	py := coursePython(t)
	full := append([]string{courseScript(script), "--host", "127.0.0.1", "--port", strconv.Itoa(srv.Port)}, args...)
	if pw := srv.Password(); pw != "" {
		full = append(full, "--password", pw)
	}
	p := &Proc{Cmd: exec.Command(py, full...), done: make(chan struct{})}
	p.Cmd.Dir = dir
	// Unbuffered, so a killed worker's last lines are kept; no __pycache__ in the repository.
	p.Cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1")
	p.Cmd.Stdout = lockedWriter{p}
	p.Cmd.Stderr = lockedWriter{p}
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("start %s %v: %v", script, args, err)
	}
	go func() { p.status = p.Cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = p.Cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("python %s %v output:\n%s", script, args, p.Output())
		}
	})
	return p
}

// runPy runs a course script to completion; it fails the test on a non-zero exit
// unless wantCode says otherwise.
func runPy(t *testing.T, srv *redistest.Server, dir string, wantCode int, script string, args ...string) string {
	t.Helper()
	p := startPy(t, srv, dir, script, args...)
	if code := p.Wait(t, 30*time.Second); code != wantCode {
		t.Fatalf("python %s %v: exit %d, want %d\n%s", script, args, code, wantCode, p.Output())
	}
	return p.Output()
}

// produce runs the course producer and returns the ids it printed.
func produce(t *testing.T, srv *redistest.Server, dir string, args ...string) []string {
	t.Helper()
	return parseIDs(runPy(t, srv, dir, 0, "producer.py", args...))
}

// writeJPEG writes a small, valid JPEG with a pattern that depends on seed.
func writeJPEG(t *testing.T, path string, w, h, seed int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x*4 + seed*37), uint8(y*4 + seed*11), uint8((x + y + seed) * 3), 255})
		}
	}
	must(t, os.MkdirAll(filepath.Dir(path), 0o755))
	f, err := os.Create(path)
	must(t, err)
	defer f.Close()
	must(t, jpeg.Encode(f, img, &jpeg.Options{Quality: 90}))
}

// checkImage fails the test unless path is a decodable JPEG or PNG.
func checkImage(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Errorf("output %s: %v", path, err)
		return
	}
	defer f.Close()
	_, format, err := image.DecodeConfig(f)
	if err != nil || (format != "jpeg" && format != "png") {
		t.Errorf("output %s: not a JPEG/PNG (format %q, err %v)", path, format, err)
	}
}

// courseWait polls cond until it holds or d passes; on timeout it fails with cond's last state.
func courseWait(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, still waiting for %s; last state: %s", d, what, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// layout reads the course's four queue keys. Errors (WRONGTYPE above all) fail the test.
type courseLayout struct {
	Pending    []string          // normal, then high, then low
	Processing map[string]string // id -> worker
	Completed  []string
	Failed     []string
}

func (l courseLayout) String() string {
	return fmt.Sprintf("pending %d %v, processing %d %v, completed %d, failed %d %v",
		len(l.Pending), head(l.Pending), len(l.Processing), l.Processing, len(l.Completed), len(l.Failed), head(l.Failed))
}

func head(s []string) []string {
	if len(s) > 5 {
		return s[:5]
	}
	return s
}

func readLayout(t *testing.T, c *redis.Client) courseLayout {
	t.Helper()
	ctx := context.Background()
	var l courseLayout
	var err error
	for _, k := range []string{coursePending, coursePendingHigh, coursePendingLow} {
		ids, e := c.LRange(ctx, k, 0, -1).Result()
		if e != nil {
			t.Fatalf("LRANGE %s: %v", k, e)
		}
		l.Pending = append(l.Pending, ids...)
	}
	if l.Processing, err = c.HGetAll(ctx, courseProcessing).Result(); err != nil {
		t.Fatalf("HGETALL %s: %v", courseProcessing, err)
	}
	if l.Completed, err = c.LRange(ctx, courseCompleted, 0, -1).Result(); err != nil {
		t.Fatalf("LRANGE %s: %v", courseCompleted, err)
	}
	if l.Failed, err = c.LRange(ctx, courseFailed, 0, -1).Result(); err != nil {
		t.Fatalf("LRANGE %s: %v", courseFailed, err)
	}
	return l
}

func hgetall(t *testing.T, c *redis.Client, key string) map[string]string {
	t.Helper()
	h, err := c.HGetAll(context.Background(), key).Result()
	if err != nil {
		t.Fatalf("HGETALL %s: %v", key, err)
	}
	return h
}

// unixSeconds checks that s is Unix seconds as Python's str(time.time()) writes them
// (a decimal number within a day of now).
func unixSeconds(s string) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	now := float64(time.Now().UnixNano()) / 1e9
	return f, f > now-86400 && f < now+86400
}

// noWrongType fails the test if any process printed WRONGTYPE.
func noWrongType(t *testing.T, procs ...*Proc) {
	t.Helper()
	for _, p := range procs {
		if strings.Contains(p.Output(), "WRONGTYPE") {
			t.Errorf("%v printed WRONGTYPE:\n%s", p.Cmd.Args, lastLines(p.Output(), 20))
		}
	}
}

// within reports whether path (absolute) lies inside dir.
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// findOutput resolves a result's output_path the ways a worker may write it: absolute,
// relative to the worker's working directory, or relative to its --output folder.
func findOutput(cwd, outDir, p string) (string, bool) {
	var cands []string
	if filepath.IsAbs(p) {
		cands = []string{p}
	} else {
		cands = []string{filepath.Join(cwd, p), filepath.Join(outDir, p)}
	}
	for _, c := range cands {
		if st, err := os.Stat(c); err == nil && st.Mode().IsRegular() {
			return c, true
		}
	}
	return strings.Join(cands, " or "), false
}

func count(s []string, v string) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}
