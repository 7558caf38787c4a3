package tui

import (
	"context"
	"reflect"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// subscribe joins the run's Feed and waits for its first snapshot. The
// subscription ends with the model's context (its program or session ended).
func (m *Model) subscribe() tea.Cmd {
	f := m.opts.Feed
	m.sub = f.subscribe()
	s := m.sub
	context.AfterFunc(m.ctx, func() { f.unsubscribe(s) })
	return waitFeed(m.ctx, f, s)
}

// onFeed shows one delivery of the feed: the newest stats and the events since
// the last delivery, through the same paths a lone model's own reads take.
func (m *Model) onFeed(msg feedMsg) tea.Cmd {
	if msg.sub != m.sub {
		return nil
	}
	var cmds []tea.Cmd
	if msg.stats != nil {
		cmds = append(cmds, m.onStats(*msg.stats))
	}
	if len(msg.events) > 0 {
		m.events.Add(msg.events)
	}
	if !msg.closed {
		gap := time.Duration(0)
		if m.opts.ReadOnly {
			gap = viewerFrame // a student's screen: see viewerFrame
		}
		cmds = append(cmds, waitFeedAfter(m.ctx, m.opts.Feed, m.sub, gap))
	}
	return tea.Batch(cmds...)
}

// nextFetch schedules the model's next stats read, unless a Feed reads for it.
func (m *Model) nextFetch(d time.Duration) tea.Cmd {
	if m.opts.Feed != nil {
		return nil
	}
	return scheduleFetch(d)
}

// viewerKeys are the KeyMap fields a read-only viewer keeps: moving around,
// opening views, help and quit. Every other binding is locked, so a key added
// later (pace, say) is locked in viewers until it is listed here on purpose.
var viewerKeys = map[string]bool{
	"Failed": true, "Find": true, "Leaderboard": true, "Sort": true, "Join": true, "OwnReads": true,
	"Focus": true, "FocusBack": true, "Up": true, "Down": true, "PageUp": true, "PageDown": true,
	"Top": true, "Bottom": true, "Enter": true, "Back": true, "No": true, "Help": true, "Quit": true,
}

// lockKeys makes a read-only viewer: every key that changes the queue, the
// workers or the shared switches is disabled in the key map (so the footer
// and the help do not offer it) and remembered, so that pressing it says why
// nothing happens. MONITOR is locked too: it costs Redis a copy of every
// command per client, so it stays one, on the teacher's screen.
func (m *Model) lockKeys() {
	km := reflect.ValueOf(m.c.Keys).Elem()
	for i := range km.NumField() {
		f, name := km.Field(i), km.Type().Field(i).Name
		b, ok := f.Addr().Interface().(*key.Binding)
		if !ok || viewerKeys[name] {
			continue
		}
		m.lockedKeys = append(m.lockedKeys, *b)
		b.SetEnabled(false)
	}
}

// locked reports (and shows in the footer) a key a read-only viewer pressed
// that it may not use.
func (m *Model) locked(k tea.KeyPressMsg) bool {
	if len(m.lockedKeys) == 0 || !key.Matches(k, m.lockedKeys...) {
		return false
	}
	m.footer.SetStatus(m.c.T("read-only viewer: that key is the teacher's"), true)
	return true
}
