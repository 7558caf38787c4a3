package proc

import (
	"bytes"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The imgq binary must build on linux, darwin and windows. These tests fail
// when Linux-only process control comes back into a package the binary links,
// outside a file whose build constraints keep it to Linux (or unix).

const mainPkg = "github.com/imgq/imgq"

func goTool(t *testing.T) string {
	t.Helper()
	g, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	return g
}

// TestBinaryCrossBuilds is the honest check: the binary compiles for Windows
// and macOS (scripts/test.sh builds and vets all six targets).
func TestBinaryCrossBuilds(t *testing.T) {
	g := goTool(t)
	for _, target := range [][2]string{{"windows", "amd64"}, {"darwin", "arm64"}} {
		cmd := exec.Command(g, "build", "-o", os.DevNull, mainPkg)
		cmd.Env = append(os.Environ(), "GOOS="+target[0], "GOARCH="+target[1], "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("GOOS=%s GOARCH=%s go build %s: %v\n%s", target[0], target[1], mainPkg, err, out)
		}
	}
}

// linuxOnly is what must not appear in a file compiled for goos: identifiers
// (fields or syscall functions) and string literals.
var linuxOnly = map[string]struct{ idents, syscalls, strs []string }{
	"windows": {idents: []string{"Setpgid", "Pdeathsig"}, syscalls: []string{"Kill", "Getrusage", "RUSAGE_SELF", "SIGSTOP", "SIGCONT"}, strs: []string{"/proc/"}},
	"darwin":  {idents: []string{"Pdeathsig"}, strs: []string{"/proc/"}},
}

// TestNoLinuxOnlyCallsOutsideLinuxFiles parses every file of every imgq
// package the binary links, as selected for windows and darwin, and fails on
// a Linux-only call or a /proc path there. Unlike the build, it also catches
// a /proc read, which compiles everywhere but fails at run time.
func TestNoLinuxOnlyCallsOutsideLinuxFiles(t *testing.T) {
	g := goTool(t)
	for goos, bad := range linuxOnly {
		cmd := exec.Command(g, "list", "-deps", "-json=ImportPath,Dir,GoFiles,Module", mainPkg)
		cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=amd64", "CGO_ENABLED=0")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("GOOS=%s go list: %v\n%s", goos, err, stderr.String())
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		files := 0
		for {
			var p struct {
				ImportPath, Dir string
				GoFiles         []string
				Module          *struct{ Path string }
			}
			if err := dec.Decode(&p); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			if p.Module == nil || p.Module.Path != mainPkg {
				continue
			}
			for _, f := range p.GoFiles {
				files++
				for _, finding := range scanFile(t, filepath.Join(p.Dir, f), bad.idents, bad.syscalls, bad.strs) {
					t.Errorf("GOOS=%s compiles %s/%s, which uses %s: move it behind internal/proc (a _linux.go or //go:build unix file)",
						goos, p.ImportPath, f, finding)
				}
			}
		}
		if files < 20 {
			t.Fatalf("GOOS=%s: only %d files of %s scanned; is go list's output as expected?", goos, files, mainPkg)
		}
	}
}

func scanFile(t *testing.T, path string, idents, syscalls, strs []string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	syscallName := "" // the file's name for package syscall, if it imports it
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "syscall" {
			syscallName = "syscall"
			if imp.Name != nil {
				syscallName = imp.Name.Name
			}
		}
	}
	var found []string
	has := func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if x, ok := n.X.(*ast.Ident); ok && syscallName != "" && x.Name == syscallName && has(syscalls, n.Sel.Name) {
				found = append(found, "syscall."+n.Sel.Name+" at "+fset.Position(n.Pos()).String())
			}
		case *ast.Ident:
			if has(idents, n.Name) {
				found = append(found, n.Name+" at "+fset.Position(n.Pos()).String())
			}
		case *ast.BasicLit:
			if n.Kind == token.STRING {
				for _, s := range strs {
					if strings.Contains(n.Value, s) {
						found = append(found, n.Value+" at "+fset.Position(n.Pos()).String())
					}
				}
			}
		}
		return true
	})
	return found
}

// TestScanFileFindsLinuxOnlyCalls checks the scanner on a file that has them all.
func TestScanFileFindsLinuxOnlyCalls(t *testing.T) {
	src := `package x

import sc "syscall"

// Pdeathsig in a comment is fine.
func f() {
	_ = &sc.SysProcAttr{Setpgid: true, Pdeathsig: sc.SIGKILL}
	_ = sc.Kill(1, sc.SIGKILL)
	_, _ = os.ReadFile("/proc/loadavg")
}
`
	path := filepath.Join(t.TempDir(), "x.go")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	w := linuxOnly["windows"]
	found := scanFile(t, path, w.idents, w.syscalls, w.strs)
	if len(found) != 4 {
		t.Fatalf("found %d, want 4 (Setpgid, Pdeathsig, syscall.Kill, /proc/): %q", len(found), found)
	}
}
