//go:build tools

// This file pins modules that later packages need, so `go mod tidy` keeps them while they are being wired in.
package main

import (
	_ "fyne.io/fyne/v2/app"
	_ "github.com/BurntSushi/toml"
	_ "github.com/blackjack/webcam"
	_ "github.com/chromedp/chromedp"
	_ "github.com/creack/pty"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/jung-kurt/gofpdf"
	_ "github.com/mattn/go-sqlite3"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/skip2/go-qrcode"
	_ "go.bug.st/serial"
	_ "golang.org/x/crypto/argon2"
	_ "golang.org/x/image/draw"
	_ "golang.org/x/sys/unix"
	_ "golang.org/x/text/encoding/simplifiedchinese"
)
