package common

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSpanishCoversEveryLabel reads the dashboard's source: every literal label
// passed to a translation (c.T("…"), or a local t("…")) and every column title
// must have a Spanish entry, so a class that runs --lang es never meets a label
// someone added in English only. Labels built at run time (event kinds, worker
// states) are covered by their own lists in the table.
func TestSpanishCoversEveryLabel(t *testing.T) {
	root := filepath.Join("..")
	var missing []string
	seen := map[string]bool{}
	check := func(pos token.Position, lit *ast.BasicLit) {
		if lit == nil || lit.Kind != token.STRING {
			return
		}
		label, err := strconv.Unquote(lit.Value)
		if err != nil || label == "" || seen[label] {
			return
		}
		seen[label] = true
		if _, ok := spanish[label]; !ok {
			missing = append(missing, pos.String()+": "+strconv.Quote(label))
		}
	}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				name := ""
				switch fn := n.Fun.(type) {
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				case *ast.Ident:
					name = fn.Name
				}
				if (name == "T" || name == "t") && len(n.Args) == 1 {
					lit, _ := n.Args[0].(*ast.BasicLit)
					check(fset.Position(n.Pos()), lit)
				}
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "title" {
					lit, _ := n.Value.(*ast.BasicLit)
					check(fset.Position(n.Pos()), lit)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) < 50 {
		t.Fatalf("found only %d labels: the source walk is broken", len(seen))
	}
	if len(missing) > 0 {
		t.Fatalf("%d labels have no Spanish entry in tui/common/i18n*.go:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}

func TestSpanishPluralsAfterACount(t *testing.T) {
	es, en := NewLang("es"), NewLang("en")
	for _, tc := range []struct {
		l    *Lang
		key  string
		n    int
		want string
	}{
		{es, "busy", 1, "ocupado"}, {es, "busy", 3, "ocupados"}, {es, "busy", 0, "ocupados"},
		{es, "embedded", 2, "embebidos"}, {en, "busy", 3, "busy"}, {es, "no such label", 3, "no such label"},
	} {
		if got := tc.l.N(tc.key, tc.n); got != tc.want {
			t.Errorf("%s N(%q, %d) = %q, want %q", tc.l.Code, tc.key, tc.n, got, tc.want)
		}
	}
}
