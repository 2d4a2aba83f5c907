package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"huren/kiosk/capture"
	"huren/kiosk/idcard/samdiag"
	"huren/kiosk/passhash"
	"huren/kiosk/store"
	"huren/printing"
)

// runDiag dispatches `huren diag idcard|camera|print …` to the drivers' own diagnostics.
func runDiag(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: huren diag idcard|camera|print [flags]")
		return 2
	}
	switch args[0] {
	case "idcard":
		return samdiag.Diag(ctx, args[1:], stdout, stderr)
	case "camera":
		return capture.Diag(ctx, args[1:], stdout, stderr)
	case "print":
		return printing.Diag(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "huren diag: unknown device %q (idcard, camera, print)\n", args[0])
	return 2
}

// runProvision creates the kiosk's AES key file (mode 0600) named by the config, once.
func runProvision(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("provision", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "/etc/huren/kiosk.toml", "configuration file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		fmt.Fprintln(stderr, "huren provision:", err)
		return 1
	}
	if err := os.MkdirAll(filepath.Dir(cfg.KeyFile), 0o700); err != nil {
		fmt.Fprintln(stderr, "huren provision:", err)
		return 1
	}
	if err := store.CreateKey(cfg.KeyFile); err != nil {
		fmt.Fprintln(stderr, "huren provision:", err)
		return 1
	}
	fmt.Fprintln(stdout, "key file created:", cfg.KeyFile)
	return 0
}

// runPINHash reads a staff PIN (6–12 digits) from r and prints its argon2id hash for admin.local_pin_hash.
func runPINHash(r io.Reader, stdout, stderr io.Writer) int {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintln(stderr, "huren pin-hash:", err)
		return 1
	}
	pin := strings.TrimSpace(line)
	if len(pin) < 6 || len(pin) > 12 || strings.Trim(pin, "0123456789") != "" {
		fmt.Fprintln(stderr, "huren pin-hash: a PIN is 6 to 12 digits")
		return 2
	}
	fmt.Fprintln(stdout, passhash.Hash(pin))
	return 0
}
