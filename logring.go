package main

import (
	"bytes"
	gosync "sync"
)

// logRing keeps the last lines written to it, for admin mode's log view. The logger writes to it beside
// stderr; the log never holds a full ID number, name or phone number.
type logRing struct {
	mu    gosync.Mutex
	lines []string
	next  int
	full  bool
	part  []byte
}

func newLogRing(n int) *logRing { return &logRing{lines: make([]string, n)} }

// Write splits p into lines and keeps the newest.
func (r *logRing) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.part = append(r.part, p...)
	for {
		i := bytes.IndexByte(r.part, '\n')
		if i < 0 {
			break
		}
		r.lines[r.next] = string(r.part[:i])
		r.next = (r.next + 1) % len(r.lines)
		if r.next == 0 {
			r.full = true
		}
		r.part = r.part[i+1:]
	}
	if len(r.part) == 0 {
		r.part = nil
	}
	return len(p), nil
}

// Tail returns the kept lines, oldest first.
func (r *logRing) Tail() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	if r.full {
		out = append(out, r.lines[r.next:]...)
	}
	return append(out, r.lines[:r.next]...)
}
