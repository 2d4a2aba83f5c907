package main

import "runtime/debug"

// kioskMemoryLimit is the soft limit of the Go runtime's memory (not of the C libraries: GL, SQLite).
const kioskMemoryLimit = 96 << 20

// releaseMemory hands the memory a finished session freed back to the operating system: a full collection
// that returns the Go heap's free pages (debug.FreeOSMemory), then the C libraries' free heap pages
// (libjpeg-turbo, SQLite, Mesa) where the C library can trim them. The kiosk calls it each time Home shows,
// so an idle kiosk holds its live data only and its resident size does not creep from session to session.
// It takes tens of milliseconds off the UI goroutine.
func releaseMemory() {
	debug.FreeOSMemory()
	trimCHeap()
}
