//go:build pprof

package main

// Built only with -tags pprof: a loopback pprof listener for memory investigations (HUREN_PPROF=127.0.0.1:6060).
// Release and demo builds never carry it: a heap profile of a kiosk can hold an applicant's data.

import (
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	if addr := os.Getenv("HUREN_PPROF"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
}
