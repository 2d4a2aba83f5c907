package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
)

// Config is the kiosk's configuration file (TOML). Every setting is documented in README.md.
type Config struct {
	KioskID       string `toml:"kiosk_id"`        // as registered with `huren-review kiosk add`, e.g. K007
	KioskNo       int    `toml:"kiosk_no"`        // 1..999, the KKK of receipt numbers
	ServerURL     string `toml:"server_url"`      // review service base, e.g. https://review.jinyun.example
	PublicBaseURL string `toml:"public_base_url"` // base of the status URL in the QR code (default: server_url)
	SecretFile    string `toml:"secret_file"`     // 64 hex characters from `kiosk add`
	KeyFile       string `toml:"key_file"`        // 32-byte AES key, mode 0600 (created by `huren provision`)
	DataDir       string `toml:"data_dir"`        // queue database and logs
	Hotline       string `toml:"hotline"`         // printed on receipts, shown in the footer
	FontPath      string `toml:"font_path"`       // Chinese font (.ttc face 0 or .ttf); default wqy-microhei
	Fullscreen    bool   `toml:"fullscreen"`
	Communities   string `toml:"communities_file"` // county's community list, CSV town_code,community (default: sample)
	Schools       string `toml:"schools_file"`     // county's school list, CSV code,name (default: sample)

	Reader  ReaderConfig  `toml:"reader"`
	Camera  CameraConfig  `toml:"camera"`
	Printer PrinterConfig `toml:"printer"`
	Admin   AdminConfig   `toml:"admin"`
	Limits  LimitsConfig  `toml:"limits"`
	TLS     TLSConfig     `toml:"tls"`
}

// ReaderConfig chooses the ID-card reader.
type ReaderConfig struct {
	Driver string `toml:"driver"` // serial | usb | demo
	Port   string `toml:"port"`   // serial device, e.g. /dev/ttyUSB0
	Baud   int    `toml:"baud"`   // default 115200
}

// CameraConfig chooses the document camera.
type CameraConfig struct {
	Driver    string `toml:"driver"`     // v4l2 | hotfolder | demo
	Device    string `toml:"device"`     // /dev/video0
	HotFolder string `toml:"hot_folder"` // folder the scanner software writes into
}

// PrinterConfig chooses the receipt printer.
type PrinterConfig struct {
	Driver string `toml:"driver"` // cups | escpos | pdf
	Queue  string `toml:"queue"`  // CUPS queue name
	Target string `toml:"target"` // ESC/POS: /dev/usb/lp0, file:PATH or tcp://HOST:9100
	PDFDir string `toml:"pdf_dir"`
	Paper  string `toml:"paper"` // roll80 | a6 (PDF layouts)
}

// AdminConfig holds the local fallback staff PIN.
type AdminConfig struct {
	LocalPINHash string `toml:"local_pin_hash"` // argon2id PHC string; `huren pin-hash` makes one
}

// LimitsConfig holds the backlog guard and retention.
type LimitsConfig struct {
	MaxUnsent     int `toml:"max_unsent"`     // default 200
	MinFreeMB     int `toml:"min_free_mb"`    // default 500
	RetentionDays int `toml:"retention_days"` // default 7
}

// TLSConfig pins the review service.
type TLSConfig struct {
	CAFile    string `toml:"ca_file"`    // county CA bundle (PEM)
	PinSHA256 string `toml:"pin_sha256"` // hex SHA-256 of the server certificate's SubjectPublicKeyInfo
}

func defaultConfig() Config {
	return Config{
		KioskNo:    1,
		DataDir:    "/var/lib/huren",
		Hotline:    "12345",
		Reader:     ReaderConfig{Driver: "serial", Port: "/dev/ttyUSB0", Baud: 115200},
		Camera:     CameraConfig{Driver: "v4l2", Device: "/dev/video0"},
		Printer:    PrinterConfig{Driver: "cups", Queue: "receipt", Paper: "roll80"},
		Limits:     LimitsConfig{MaxUnsent: 200, MinFreeMB: 500, RetentionDays: 7},
		Fullscreen: true,
	}
}

// loadConfig reads path over the defaults. Unknown keys are an error (a typo must not pass silently).
func loadConfig(path string) (Config, error) {
	c := defaultConfig()
	md, err := toml.DecodeFile(path, &c)
	if err != nil {
		return c, fmt.Errorf("read config %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return c, fmt.Errorf("config %s: unknown settings: %s", path, strings.Join(keys, ", "))
	}
	return c, c.validate()
}

func (c *Config) fill() {
	if c.PublicBaseURL == "" {
		c.PublicBaseURL = c.ServerURL
	}
	if c.KeyFile == "" {
		c.KeyFile = filepath.Join(c.DataDir, "kiosk.key")
	}
	if c.SecretFile == "" {
		c.SecretFile = filepath.Join(c.DataDir, "kiosk.secret")
	}
	if c.Printer.PDFDir == "" {
		c.Printer.PDFDir = filepath.Join(c.DataDir, "receipts")
	}
	if c.Reader.Baud == 0 {
		c.Reader.Baud = 115200
	}
	if c.Limits.MaxUnsent == 0 {
		c.Limits.MaxUnsent = 200
	}
	if c.Limits.MinFreeMB == 0 {
		c.Limits.MinFreeMB = 500
	}
	if c.Limits.RetentionDays == 0 {
		c.Limits.RetentionDays = 7
	}
}

func (c *Config) validate() error {
	c.fill()
	var errs []error
	if c.KioskID == "" {
		errs = append(errs, errors.New("kiosk_id is required"))
	}
	if c.KioskNo < 1 || c.KioskNo > 999 {
		errs = append(errs, fmt.Errorf("kiosk_no %d: must be 1..999", c.KioskNo))
	}
	if c.ServerURL == "" {
		errs = append(errs, errors.New("server_url is required"))
	}
	switch c.Reader.Driver {
	case "serial", "usb", "demo":
	default:
		errs = append(errs, fmt.Errorf("reader.driver %q: want serial, usb or demo", c.Reader.Driver))
	}
	switch c.Camera.Driver {
	case "v4l2", "hotfolder", "demo":
	default:
		errs = append(errs, fmt.Errorf("camera.driver %q: want v4l2, hotfolder or demo", c.Camera.Driver))
	}
	switch c.Printer.Driver {
	case "cups", "escpos", "pdf":
	default:
		errs = append(errs, fmt.Errorf("printer.driver %q: want cups, escpos or pdf", c.Printer.Driver))
	}
	switch c.Printer.Paper {
	case "roll80", "a6", "":
	default:
		errs = append(errs, fmt.Errorf("printer.paper %q: want roll80 or a6", c.Printer.Paper))
	}
	return errors.Join(errs...)
}

// demoConfig is the throwaway configuration of `-demo`: simulated devices, receipts as PDF files and an
// embedded review service (its URL is filled in once it listens).
func demoConfig(dataDir string) Config {
	c := defaultConfig()
	c.KioskID = "K001"
	c.KioskNo = 1
	c.DataDir = dataDir
	c.Reader = ReaderConfig{Driver: "demo"}
	c.Camera = CameraConfig{Driver: "demo"}
	c.Printer = PrinterConfig{Driver: "pdf", PDFDir: filepath.Join(dataDir, "receipts"), Paper: "roll80"}
	c.Fullscreen = false
	c.fill()
	return c
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
