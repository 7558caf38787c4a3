package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestOutputName(t *testing.T) {
	tests := []struct {
		id, in string
		f      Format
		want   string
	}{
		{"task-1a2b", "images/cat photo.JPG", FormatJPEG, "task-1a2b_cat_photo.jpg"},
		{"task-1", "../../etc/passwd", FormatPNG, "task-1_passwd.png"},
		{"t/../x", `C:\pics\dog.png`, FormatJPEG, "t_.._x_dog.jpg"},
		{"t", "..", FormatJPEG, "t_image.jpg"},
		{"t", "", FormatJPEG, "t_image.jpg"},
		{"t", "été\x00.png", FormatJPEG, "t__t__.jpg"},
	}
	for _, tt := range tests {
		got := OutputName(tt.id, tt.in, tt.f)
		if got != tt.want || !filepath.IsLocal(got) || filepath.Base(got) != got {
			t.Errorf("OutputName(%q, %q) = %q, want %q", tt.id, tt.in, got, tt.want)
		}
	}
}

func TestWriteOutput(t *testing.T) {
	base := t.TempDir()
	outDir := filepath.Join(base, "out")
	secret := filepath.Join(base, "secret")
	for _, d := range []string{outDir, secret} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A symlinked folder and a symlinked file, both pointing outside.
	if err := os.Symlink(secret, filepath.Join(outDir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(secret, "victim.jpg"), filepath.Join(outDir, "victim.jpg")); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(outDir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()

	path, err := WriteOutput(root, "task-1_cat.jpg", []byte("data"))
	if err != nil || path != filepath.Join(outDir, "task-1_cat.jpg") {
		t.Fatalf("WriteOutput = %q, %v", path, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "data" {
		t.Errorf("file holds %q", b)
	}
	// Overwriting is fine and leaves no temp file.
	if _, err := WriteOutput(root, "task-1_cat.jpg", []byte("new")); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(outDir); len(ents) != 3 {
		t.Errorf("out dir has %d entries, want 3 (file + 2 links)", len(ents))
	}

	for _, bad := range []string{
		"../escape.jpg",
		"a/../../escape.jpg",
		filepath.Join(secret, "abs.jpg"),
		"link/through-symlink.jpg",
		"victim.jpg",
		"",
	} {
		if _, err := WriteOutput(root, bad, []byte("x")); !errors.Is(err, ErrUnsafePath) {
			t.Errorf("WriteOutput(%q) = %v, want ErrUnsafePath", bad, err)
		}
	}
	if ents, _ := os.ReadDir(secret); len(ents) != 0 {
		t.Errorf("something escaped into %s: %v", secret, ents)
	}
	if _, err := os.Stat(filepath.Join(base, "escape.jpg")); err == nil {
		t.Error("escape.jpg was written outside")
	}
}

func TestWriteOutputDir(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteOutputDir(dir, "a.jpg", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteOutputDir(dir, "/tmp/a.jpg", []byte("x")); !errors.Is(err, ErrUnsafePath) {
		t.Fatalf("got %v", err)
	}
}

func TestLocalOutputPath(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ in, want string }{
		{"output/cat.jpg", "cat.jpg"},                               // the course's producer
		{"cat.jpg", "cat.jpg"},                                      // a bare name
		{"output/class/cat.jpg", filepath.Join("class", "cat.jpg")}, // keeps its shape
		{`output\win\cat.jpg`, filepath.Join("win", "cat.jpg")},     // a Windows producer
		{filepath.Join(dir, "a", "b.png"), filepath.Join("a", "b.png")},
		{"/etc/passwd", "passwd"},          // absolute elsewhere: base name only
		{"../../escape.jpg", "escape.jpg"}, // never outside
		{"", ""},
		{"..", ""},
	} {
		if got := LocalOutputPath(dir, c.in); got != c.want {
			t.Errorf("LocalOutputPath(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestLocalInputPath(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		in, want string
		bad      bool
	}{
		{in: "images/a.jpg", want: filepath.Join("images", "a.jpg")},
		{in: `images\a.jpg`, want: filepath.Join("images", "a.jpg")},
		{in: filepath.Join(dir, "x.png"), want: "x.png"},
		{in: "../a.jpg", bad: true},
		{in: "/etc/passwd", bad: true},
		{in: "", bad: true},
	} {
		got, err := LocalInputPath(dir, c.in)
		if c.bad != (err != nil) || got != c.want {
			t.Errorf("LocalInputPath(%q) = %q, %v", c.in, got, err)
		}
		if err != nil && !errors.Is(err, ErrUnsafeInput) {
			t.Errorf("LocalInputPath(%q): %v is not ErrUnsafeInput", c.in, err)
		}
	}
}
