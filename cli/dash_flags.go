package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/imgq/imgq/internal/sshview"
	"github.com/imgq/imgq/tui/common"
)

type dashFlags struct {
	workers  int
	interval time.Duration
	lang     string
	output   string
	share    bool
	sshAddr  string
	size     string
	metrics  string
	theme    string
	pace     time.Duration
}

func (d *dashFlags) register(root *cobra.Command) {
	f := root.Flags()
	f.IntVar(&d.workers, "workers", 3, "embedded workers to start (0: only watch)")
	f.DurationVar(&d.interval, "interval", 250*time.Millisecond, "dashboard refresh period")
	f.StringVar(&d.lang, "lang", "en", "labels language: en or es")
	f.StringVarP(&d.output, "output", "o", "output", "folder the embedded workers write results to")
	f.StringVar(&d.size, "size", "640x480", "size of the sample images the e/E keys enqueue")
	f.StringVar(&d.metrics, "metrics", "", metricsFlagHelp)
	f.StringVar(&d.theme, "theme", "auto", "colours: auto (follows the terminal's background), dark, light, or contrast (for a projector)")
	f.DurationVar(&d.pace, "pace", 0, "teaching pace: the least time every imgq worker on the queue spends on a task (e.g. 600ms, at most 10s), so a class can follow the work; < and > change it, quitting turns it off")
	f.BoolVar(&d.share, "share", false, "classroom mode: the embedded Redis listens on the network with a generated password, the dashboard is served read-only over SSH; shows the lines students type")
	f.StringVar(&d.sshAddr, "ssh-addr", sshview.DefaultAddr, `with --share: where students' read-only SSH dashboards listen ("" for none)`)
}

// check refuses flag values out of range (usage errors) and returns the size
// of the sample images.
func (d *dashFlags) check() (w, h int, err error) {
	if d.lang != "en" && d.lang != "es" {
		return 0, 0, usageError{fmt.Errorf("--lang %q: choose en or es", d.lang)}
	}
	if _, err := common.ParseTheme(d.theme); err != nil {
		return 0, 0, usageError{fmt.Errorf("--theme: %w", err)}
	}
	if d.workers < 0 || d.workers > 256 {
		return 0, 0, usageError{fmt.Errorf("--workers %d: choose 0 to 256", d.workers)}
	}
	if d.interval < 50*time.Millisecond {
		return 0, 0, usageError{fmt.Errorf("--interval %s: at least 50ms", d.interval)}
	}
	if d.pace < 0 || d.pace > 10*time.Second {
		return 0, 0, usageError{fmt.Errorf("--pace %s: choose 0 to 10s", d.pace)}
	}
	w, h, err = parseSize(d.size)
	if err != nil {
		return 0, 0, usageError{err}
	}
	return w, h, nil
}
