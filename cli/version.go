package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version and Revision are stamped by scripts/release.sh:
//
//	go build -ldflags "-X github.com/imgq/imgq/cli.Version=v1.2.0 -X github.com/imgq/imgq/cli.Revision=0123abc"
//
// Unstamped, `imgq --version` falls back to what the Go toolchain recorded: the
// module version for `go install github.com/imgq/imgq@v1.2.0`, the git revision
// for `go build` in a checkout.
var (
	Version  = ""
	Revision = ""
)

// versionString is what `imgq --version` prints after "imgq ".
func versionString() string {
	return formatVersion(Version, Revision, readBuildInfo())
}

func readBuildInfo() *debug.BuildInfo {
	bi, _ := debug.ReadBuildInfo()
	return bi
}

func formatVersion(version, revision string, bi *debug.BuildInfo) string {
	dirty := false
	if bi != nil {
		if version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if revision == "" {
					revision = s.Value[:min(len(s.Value), 12)]
				}
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if version == "" {
		version = "dev"
	}
	if revision == "" {
		revision = "unknown"
	} else if dirty {
		revision += "-dirty"
	}
	return fmt.Sprintf("%s (revision %s, %s %s/%s)", version, revision, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
