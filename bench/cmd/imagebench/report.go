package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// writeTable prints the report: what ran, one row per size, the verdicts.
func (rep report) writeTable(w io.Writer) {
	m := rep.Machine
	fmt.Fprintf(w, "machine: %d CPUs (%s), %s, %s; load average %v at start, %v at end\n", m.CPUs, m.CPUModel, m.GoVersion, m.Date,
		rep.LoadAvgStart, rep.LoadAvgEnd)
	threads := "libvips' default threads (one per core)"
	if rep.VipsConcurrency > 0 {
		threads = fmt.Sprintf("%d libvips threads each", rep.VipsConcurrency)
	}
	if rep.VipsUchar {
		threads += ", linear --uchar"
	}
	fmt.Fprintf(w, "pipeline %s, JPEG q%d; %d imgq processes (%s; imgq bench images %s) vs %d libvips %s processes (%s, cache off)\n",
		rep.Filters, rep.Quality, rep.Procs, rep.ImgqLabel, argsOrDefault(rep.ImgqArgs), rep.Procs, rep.VipsVersion, threads)
	fmt.Fprintf(w, "comparison: %s\n", rep.Comparison)
	fmt.Fprintf(w, "%d interleaved reps (who goes first alternates), medians; wall time from the workers' common start to the last one's end; %.0fs in all\n",
		rep.Reps, rep.Seconds)
	check := 1000.0
	for _, s := range rep.Sizes {
		check = min(check, s.ImgqFastVsReferencedB)
	}
	fmt.Fprintf(w, "PSNR: grey values against Pillow %s's output for the same pipeline, lowest over the samples (imgq's from the pipeline of %s; the measured binary's own fast path vs its reference: ≥ %.1f dB)\n\n",
		rep.PillowVersion, rep.ImgqPSNRSource, check)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join([]string{"SIZE", "IMAGES/RUN", "IMGQ IMG/S", "VIPS IMG/S", "IMGQ/VIPS", "PER REP",
		"IMGQ CPU MS/IMG", "VIPS CPU MS/IMG", "CORES BUSY IMGQ/VIPS", "IMGQ PSNR", "VIPS PSNR"}, "\t"))
	fast, good := true, true
	for _, s := range rep.Sizes {
		var rs []string
		for _, r := range s.Ratios {
			rs = append(rs, fmt.Sprintf("%.2f", r))
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.2f×\t%s\t%.1f\t%.1f\t%.2f / %.2f\t%.1f dB\t%.1f dB\n", s.Size, s.Images, s.ImgqImagesPerSec,
			s.VipsImagesPerSec, s.Ratio, strings.Join(rs, " "), s.ImgqCPUMSPerImage, s.VipsCPUMSPerImage,
			s.ImgqCores, s.VipsCores, s.ImgqPSNRdB, s.VipsPSNRdB)
		fast = fast && s.Ratio >= 1
		good = good && s.ImgqPSNRdB >= psnrMin
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(w, "cores busy = CPU per image × images/s: on a shared machine a side with more runnable threads gets more of it, so read the CPU per image beside the ratio")
	fmt.Fprintf(w, "target ≥ 1.0× libvips' images/s: %s\n", okWord(fast))
	fmt.Fprintf(w, "target imgq PSNR ≥ %d dB against Pillow: %s\n", psnrMin, okWord(good))
}

func argsOrDefault(args []string) string {
	if len(args) == 0 {
		return "defaults"
	}
	return strings.Join(args, " ")
}

func okWord(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}
