package bench

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// writeMachine is the first line of every table report.
func writeMachine(w io.Writer, m Machine) {
	fmt.Fprintf(w, "machine: %d CPUs (%s), redis %s, %s, %s\n\n", m.CPUs, m.CPUModel, m.RedisVersion, m.GoVersion, m.Date)
}

// table prints rows with aligned columns.
func table(w io.Writer, header []string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

func roundAll(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(int(x*100+.5)) / 100
	}
	return out
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

func okWord(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}
