package main

import (
	"fmt"
	"strings"
	"testing"
)

func TestLogRingKeepsNewestLines(t *testing.T) {
	r := newLogRing(3)
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(r, "line %d\n", i)
	}
	r.Write([]byte("half"))
	if got := strings.Join(r.Tail(), ","); got != "line 3,line 4,line 5" {
		t.Fatalf("tail %q", got)
	}
	r.Write([]byte(" done\n"))
	if got := strings.Join(r.Tail(), ","); got != "line 4,line 5,half done" {
		t.Fatalf("tail %q", got)
	}
}
