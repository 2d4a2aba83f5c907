package sync

import (
	"io"
	"log/slog"
	"os"
	"testing"
)

// TestMain silences the worker's logs unless HUREN_SYNC_LOG=1.
func TestMain(m *testing.M) {
	if os.Getenv("HUREN_SYNC_LOG") == "" {
		slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	os.Exit(m.Run())
}
