package common

import "charm.land/bubbles/v2/key"

// KeyMap is every binding of the dashboard. Components pick the ones that apply
// to them for their own help.KeyMap.
type KeyMap struct {
	Enqueue, Batch, Flush           key.Binding
	ScaleUp, ScaleDown, Pause       key.Binding
	FailInject, Requeue, Monitor    key.Binding
	PaceDown, PaceUp                key.Binding
	RequeueStuck                    key.Binding
	Failed, Find, Leaderboard, Sort key.Binding
	Join, OwnReads                  key.Binding
	Focus, FocusBack                key.Binding
	Up, Down, PageUp, PageDown      key.Binding
	Top, Bottom, Enter, Back        key.Binding
	RequeueOne, RequeueAll          key.Binding
	Yes, No, Help, Quit             key.Binding
}

// DefaultKeyMap returns the bindings with help in language l.
func DefaultKeyMap(l *Lang) *KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, l.T(desc)))
	}
	return &KeyMap{
		Enqueue:    b("e", "enqueue 1", "e"),
		Batch:      b("E", "enqueue 15", "E"),
		Flush:      b("f", "flush", "f"),
		ScaleUp:    b("+", "add worker", "+", "="),
		ScaleDown:  b("-", "remove worker", "-", "_"),
		Pause:      b("p", "pause/resume", "p"),
		FailInject: b("x", "fail 20%", "x"),
		// The teaching pace: the least time every imgq worker spends on a task.
		PaceDown: b("<", "pace down", "<"),
		PaceUp:   b(">", "pace up", ">"),
		Requeue:  b("r", "requeue failed", "r"),
		// The course's stuck-task fix (HDEL processing, RPUSH pending) for
		// claims of workers imgq cannot see.
		RequeueStuck: b("S", "requeue stuck", "S"),
		Monitor:      b("m", "MONITOR", "m"),
		Failed:       b("F", "failed tasks", "F"),
		Find:         b("/", "find task", "/"),
		Leaderboard:  b("l", "leaderboard", "l"),
		Sort:         b("s", "sort workers", "s"),
		Join:         b("i", "join line", "i"),
		OwnReads:     b("h", "hide own reads", "h"),
		Focus:        b("tab", "focus", "tab"),
		FocusBack:    b("shift+tab", "focus back", "shift+tab"),
		Up:           b("↑/k", "up", "up", "k"),
		Down:         b("↓/j", "down", "down", "j"),
		PageUp:       b("pgup", "page up", "pgup", "b"),
		PageDown:     b("pgdn", "page down", "pgdown", "space"),
		Top:          b("g", "top", "home", "g"),
		Bottom:       b("G", "newest", "end", "G"),
		Enter:        b("enter", "open", "enter"),
		Back:         b("esc", "back", "esc"),
		RequeueOne:   b("r", "requeue this", "r"),
		RequeueAll:   b("R", "requeue all", "R"),
		Yes:          b("y", "yes", "y", "Y"),
		No:           b("n", "no", "n", "N", "esc"),
		Help:         b("?", "help", "?"),
		Quit:         b("q", "quit", "q", "ctrl+c"),
	}
}
