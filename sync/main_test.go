package sync

import (
	"io"
	"log/slog"
	"os"
	"testing"
)

// TestMain silences the worker's logs unless HUREN_SYNC_LOG=1.
// With HUREN_SYNC_REVIEW_CHILD set, the binary is the benchmarks' review service instead.
func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		serveReviewChild(dir)
	}
	if os.Getenv("HUREN_SYNC_LOG") == "" {
		slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	os.Exit(m.Run())
}
