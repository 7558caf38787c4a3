package common

import (
	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"
)

// Component is what every pane and view of the dashboard is, as soft-serve's
// common.Component: a model that updates itself, draws itself into the
// rectangle SetSize gave it and names its own keys for the help line.
// Components are values (Update returns the new one, M), so the interface is
// met by a pointer to one: var _ common.Component[Model] = (*Model)(nil).
type Component[M any] interface {
	help.KeyMap
	Update(tea.Msg) (M, tea.Cmd)
	View() string
	SetSize(w, h int)
}

// OpenTaskMsg asks the root to show a task's whole record (enter on a failed
// task or on an event).
type OpenTaskMsg struct{ ID string }
