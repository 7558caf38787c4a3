package tui

import (
	"context"
	"sync"
)

// monitorState tracks the MONITOR feed. gen tells results of an old feed
// (switched off and on again) from the current one.
type monitorState struct {
	on     bool
	gen    int
	cancel context.CancelFunc
	lines  <-chan string
	wg     *sync.WaitGroup // the built-in feed's reader goroutines (redisconn.Monitor)
}

// wait blocks until every reader goroutine the built-in feed started has ended.
func (s *monitorState) wait() {
	if s.wg != nil {
		s.wg.Wait()
	}
}
