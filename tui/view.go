package tui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/imgq/imgq/tui/common"
)

// View renders the screen. It only reads state.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	// No mouse mode: with it on, a student could not select and copy the join
	// line from the terminal.
	v.WindowTitle = "imgq"
	if m.opts.Queue != nil {
		v.WindowTitle = "imgq · " + common.Clean(m.opts.Queue.Name())
	}
	return v
}

func (m *Model) render() string {
	parts := []string{m.header.View()}
	if b := m.banner(); b != "" {
		parts = append(parts, b)
	}
	body := m.bodyRows()
	switch m.view {
	case viewFailed:
		parts = append(parts, m.failed.View())
	case viewDetail:
		parts = append(parts, m.detail.View())
	case viewHelp:
		parts = append(parts, m.helpView(body))
	case viewJoin:
		parts = append(parts, m.joinView(body))
	default:
		parts = append(parts, m.mainView())
	}
	k := m.c.Keys
	parts = append(parts, m.footer.View(m.helpKeys(), k.Help, k.Quit))
	return strings.Join(parts, "\n")
}

// mainView stacks the panes, each the full width (see layout).
func (m *Model) mainView() string {
	return m.queues.View() + "\n" + m.workers.View() + "\n" + m.events.View()
}

// clashLines is the explanation of a layout clash wrapped to the width, the
// last line cut with … when the screen has no room for all of it.
func (m *Model) clashLines() []string {
	if m.clash == "" {
		return nil
	}
	w := max(m.w-4, 10)
	lines := strings.Split(ansi.Wrap(m.clash, w, " "), "\n")
	join := 0
	if m.opts.JoinLine != "" {
		join = 1
	}
	// The main view's panes need about ten rows; the explanation takes what
	// is left beyond them, up to a third of the screen, never less than a line.
	fixed := m.header.Height() + 1
	if limit := max(min(6, (m.h-fixed)/3, m.h-fixed-join-10), 1); len(lines) > limit {
		lines = lines[:limit]
		lines[limit-1] = ansi.Truncate(lines[limit-1], w-1, "") + "…"
	}
	st := m.c.Styles.Warn
	for i, l := range lines {
		mark := "   "
		if i == 0 {
			mark = " ▲ "
		}
		lines[i] = common.Fit(st.Render(mark+l), m.w)
	}
	return lines
}

// banner is what stands between the header and the body on every screen: the
// explanation of a layout clash, then the classroom join line.
func (m *Model) banner() string {
	clash := m.clashLines()
	join := m.joinBanner()
	if join != "" {
		clash = append(clash, join)
	}
	return strings.Join(clash, "\n")
}

// joinBanner is the classroom join line, while it is set.
func (m *Model) joinBanner() string {
	if m.opts.JoinLine == "" {
		return ""
	}
	st := m.c.Styles
	label := st.Banner.Render(" " + strings.ToUpper(m.c.T("join")) + " ")
	line := " " + label + " " + st.BannerKey.Render(common.Clean(m.opts.JoinLine))
	if ansi.StringWidth(line) > m.w {
		line = " " + label + " " + st.BannerKey.Render(common.Clean(m.opts.JoinLine))
	}
	return common.Fit(line, m.w)
}

// joinView shows the join line as large as the screen allows: wrapped at
// word boundaries, centred, with room around it, for the back row to read.
func (m *Model) joinView(h int) string {
	st := m.c.Styles
	text := common.Clean(m.opts.JoinLine)
	wrapped := ansi.Wrap(text, max(m.w-8, 20), " ")
	var lines []string
	lines = append(lines, m.c.PaneTitle(m.c.T("Join the queue"), "", true, m.w), "")
	for _, l := range strings.Split(wrapped, "\n") {
		lines = append(lines, lipgloss.PlaceHorizontal(m.w, lipgloss.Center, st.Banner.Render("  "+l+"  ")))
	}
	lines = append(lines, "", lipgloss.PlaceHorizontal(m.w, lipgloss.Center, st.Muted.Render(m.c.T("press any key to go back"))))
	pad := max((h-len(lines))/3, 0)
	return common.Block(append(make([]string, pad), lines...), m.w, h)
}

// keyMap adapts a list of bindings to help.KeyMap.
type keyMap struct {
	short []key.Binding
	full  [][]key.Binding
}

func (k keyMap) ShortHelp() []key.Binding  { return k.short }
func (k keyMap) FullHelp() [][]key.Binding { return k.full }

func (m *Model) helpKeys() keyMap {
	k := m.c.Keys
	switch m.view {
	case viewFailed:
		return keyMap{short: m.failed.ShortHelp()}
	case viewDetail:
		return keyMap{short: m.detail.ShortHelp()}
	case viewHelp, viewJoin:
		return keyMap{short: []key.Binding{k.Back}}
	}
	fail, mon, pause := m.switchKeys()
	short := []key.Binding{k.Enqueue, k.Batch, k.Flush, fail, mon, k.Failed, k.Find,
		k.ScaleUp, k.ScaleDown, pause, k.Requeue, k.RequeueStuck, k.Leaderboard, k.Sort, k.Focus}
	if m.stuck() > 0 {
		// Stuck tasks wait for this key: its hint comes first while they do.
		short = append([]key.Binding{k.RequeueStuck}, slices.DeleteFunc(short, func(b key.Binding) bool {
			return b.Help().Key == k.RequeueStuck.Help().Key
		})...)
	}
	if m.opts.JoinLine != "" {
		short = append(short, k.Join)
	}
	return keyMap{short: short, full: m.fullHelp()}
}

// switchKeys are the keys of switches, each hint saying what pressing it does
// now: "x fail 20%" while failure injection is off, "x stop failing" while on.
func (m *Model) switchKeys() (fail, mon, pause key.Binding) {
	k, t := m.c.Keys, m.c.T
	fail, mon, pause = k.FailInject, k.Monitor, k.Pause
	if m.track.Last.FailRate > 0 {
		fail.SetHelp(fail.Help().Key, t("stop failing"))
	}
	if m.mon.on {
		mon.SetHelp(mon.Help().Key, t("hide MONITOR"))
	}
	if m.opts.Workers != nil || m.opts.Queue != nil {
		// p pauses the queue's workers through Redis, and the embedded ones.
		if m.track.Last.Paused || m.opts.Workers != nil && m.opts.Workers.Paused() {
			pause.SetHelp(pause.Help().Key, t("resume"))
		} else {
			pause.SetHelp(pause.Help().Key, t("pause"))
		}
	}
	return fail, mon, pause
}

func (m *Model) fullHelp() [][]key.Binding {
	k := m.c.Keys
	fail, mon, pause := m.switchKeys()
	views := []key.Binding{mon, k.OwnReads, k.Failed, k.Find, k.Leaderboard, k.Sort}
	if m.opts.JoinLine != "" {
		views = append(views, k.Join)
	}
	return [][]key.Binding{
		{k.Enqueue, k.Batch, k.Flush, fail, k.Requeue, k.RequeueStuck},
		{k.ScaleUp, k.ScaleDown, pause, k.PaceDown, k.PaceUp},
		views,
		{k.Focus, k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Enter, k.Back, k.Help, k.Quit},
	}
}

// helpView is the full help, grouped in columns, wrapped to the width.
func (m *Model) helpView(h int) string {
	titles := []string{"Queue", "Workers", "Views", "Navigate", "Help"}
	groups := m.fullHelp()
	hm := m.footer.Help
	hm.SetWidth(0)
	var cols []string
	for i, g := range groups {
		title := m.c.Styles.PaneFocused.Render(m.c.T(titles[i]))
		cols = append(cols, lipgloss.JoinVertical(lipgloss.Left, title, hm.FullHelpView([][]key.Binding{g}))+"   ")
	}
	// Lay columns out left to right, starting a new row when one would overflow.
	var rows []string
	var row []string
	width := 0
	for _, c := range cols {
		cw := lipgloss.Width(c)
		if width+cw > m.w-2 && len(row) > 0 {
			rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
			row, width = nil, 0
		}
		row = append(row, c)
		width += cw
	}
	rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
	lines := []string{m.c.PaneTitle(m.c.T("Help"), "", true, m.w)}
	for _, r := range rows {
		for _, l := range strings.Split(r, "\n") {
			lines = append(lines, "  "+l)
		}
		lines = append(lines, "")
	}
	return common.Block(lines, m.w, h)
}
