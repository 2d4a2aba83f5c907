// Command huren is the Jinyun residence-permit mutual-recognition kiosk (互认自助终端).
//
//	huren -config /etc/huren/kiosk.toml     a production kiosk
//	huren -demo [-data DIR] [-autopilot N]  demo mode: simulated devices, receipts as PDF files and an
//	                                        embedded review service on loopback — the whole system on one machine
//	huren diag idcard|camera|print …        diagnostics for technicians
//	huren provision -config FILE            create the kiosk's key file (0600)
//	huren pin-hash                          print the argon2id hash of a staff PIN read from stdin
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// version is set by the Makefile (-ldflags "-X main.version=…").
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "diag":
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runDiag(ctx, args[1:], stdout, stderr)
		case "provision":
			return runProvision(args[1:], stdout, stderr)
		case "pin-hash":
			return runPINHash(os.Stdin, stdout, stderr)
		case "version":
			fmt.Fprintln(stdout, "huren", version)
			return 0
		}
	}
	fs := flag.NewFlagSet("huren", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.configPath, "config", "/etc/huren/kiosk.toml", "configuration file (TOML)")
	fs.BoolVar(&o.demo, "demo", false, "demo mode: simulated devices, PDF receipts, embedded review service")
	fs.StringVar(&o.dataDir, "data", "", "data folder (overrides the config; demo: a new temporary folder)")
	fs.IntVar(&o.autopilot, "autopilot", 0, "run N simulated applicants through the real screens, then exit")
	fs.BoolVar(&o.fullscreen, "fullscreen", false, "full-screen window (overrides the config)")
	fs.StringVar(&o.server, "server", "", "review service URL (overrides the config)")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	o.fullscreenSet = isFlagSet(fs, "fullscreen")
	ring := newLogRing(200)
	o.logTail = ring.Tail
	logger := newLogger(io.MultiWriter(stderr, ring), o.logLevel)
	slog.SetDefault(logger)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runKiosk(ctx, o, logger, stdout); err != nil {
		logger.Error("kiosk stopped", "err", err)
		fmt.Fprintln(stderr, "huren:", err)
		var ee exitError
		if errors.As(err, &ee) {
			return int(ee)
		}
		return 1
	}
	return 0
}

type options struct {
	configPath    string
	demo          bool
	dataDir       string
	autopilot     int
	fullscreen    bool
	fullscreenSet bool
	server        string
	logLevel      string
	logTail       func() []string // admin mode's log view
}

type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func isFlagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// since reports milliseconds since t, for start-up figures in the log.
func since(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }
