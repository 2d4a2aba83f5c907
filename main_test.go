package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"huren/app"
	"huren/kiosk"
	"huren/kiosk/idcard"
)

func TestMain(m *testing.M) {
	fixLocale()
	os.Exit(m.Run())
}

// TestEndToEnd drives the real screens with the demo devices from Home to the receipt, then checks that the
// application reached the in-process review service over real HTTP and was accepted, that the printed
// receipt's QR code holds the status URL, and that the status page for that URL says 已受理 with the due date.
// Any broken link of the chain fails it.
func TestEndToEnd(t *testing.T) {
	for _, tool := range []string{"pdftotext", "pdftoppm", "zbarimg"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed (make deps installs poppler-utils and zbar-tools): %v", tool, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	dir := t.TempDir()
	sys, err := buildSystem(ctx, demoConfig(dir), true, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	wctx, stopWorker := context.WithCancel(ctx)
	workerDone := make(chan struct{})
	go func() { defer close(workerDone); sys.worker.Run(wctx) }()
	defer func() { stopWorker(); <-workerDone }()

	fa := test.NewTempApp(t)
	k := app.New(fa, sys.deps)
	defer k.Close()
	k.Window().Resize(k.Window().Canvas().Size())
	k.Show()

	var out bytes.Buffer
	if err := k.Autopilot(ctx, 1, &out); err != nil {
		t.Fatalf("autopilot: %v\noutput: %s", err, out.String())
	}
	var line struct {
		Receipt string  `json:"receipt"`
		State   string  `json:"state"`
		Seconds float64 `json:"seconds"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &line); err != nil {
		t.Fatalf("autopilot output %q: %v", out.String(), err)
	}
	if line.State != string(kiosk.StateAccepted) {
		t.Fatalf("state %q at the review service, want accepted", line.State)
	}
	r, err := kiosk.ParseReceipt(line.Receipt)
	if err != nil {
		t.Fatal(err)
	}
	a, err := sys.store.Get(ctx, r)
	if err != nil {
		t.Fatalf("the kiosk's queue lost %s: %v", r, err)
	}
	statusURL := kiosk.StatusURL(sys.cfg.PublicBaseURL, r, a.StatusToken)

	// The printed receipt: number and masked ID in its text, never the full number; QR = status URL.
	pdfs, _ := filepath.Glob(filepath.Join(sys.cfg.Printer.PDFDir, "*.pdf"))
	if len(pdfs) != 1 {
		t.Fatalf("receipt folder has %d PDFs, want 1: %v", len(pdfs), pdfs)
	}
	text := runTool(t, "pdftotext", "-layout", pdfs[0], "-")
	if !strings.Contains(text, r.String()) {
		t.Errorf("receipt text lacks the receipt number %s:\n%s", r, text)
	}
	if !strings.Contains(text, idcard.MaskNumber(a.Applicant.Number)) {
		t.Errorf("receipt text lacks the masked ID number %s", idcard.MaskNumber(a.Applicant.Number))
	}
	if strings.Contains(text, a.Applicant.Number) {
		t.Errorf("receipt text shows the full ID number")
	}
	png := filepath.Join(t.TempDir(), "receipt")
	runTool(t, "pdftoppm", "-r", "200", "-png", "-singlefile", pdfs[0], png)
	qr := strings.TrimSpace(runTool(t, "zbarimg", "--quiet", "--raw", png+".png"))
	if qr != statusURL {
		t.Fatalf("QR code holds %q, want %q", qr, statusURL)
	}

	// The status page the QR code opens.
	hc := &http.Client{Timeout: 10 * time.Second}
	page := get(t, hc, qr, http.StatusOK)
	if !strings.Contains(page, "已受理") {
		t.Errorf("status page does not say 已受理:\n%s", page)
	}
	due := regexp.MustCompile(`20\d\d[-年]\d\d?[-月]\d\d?`)
	if !due.MatchString(page) {
		t.Errorf("status page shows no due date:\n%s", page)
	}
	if strings.Contains(page, a.Applicant.Name) || strings.Contains(page, a.Applicant.Number) {
		t.Errorf("status page shows the full name or ID number")
	}
	get(t, hc, kiosk.StatusURL(sys.cfg.PublicBaseURL, r, kiosk.NewStatusToken()), http.StatusNotFound)
	get(t, hc, strings.Split(qr, "?")[0], http.StatusNotFound)

	if regexp.MustCompile(regexp.QuoteMeta(a.Applicant.Number)).Match(logs.Bytes()) {
		t.Errorf("the full ID number reached the log")
	}
}

func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr // zbarimg chatters about D-Bus there
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s%s", name, args, err, out, stderr.Bytes())
	}
	return string(out)
}

func get(t *testing.T, hc *http.Client, url string, want int) string {
	t.Helper()
	resp, err := hc.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d\n%s", url, resp.StatusCode, want, b)
	}
	return string(b)
}

func TestConfigRejectsUnknownAndInvalid(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k.toml")
	os.WriteFile(p, []byte("kiosk_id = \"K007\"\nkiosk_no = 7\nserver_url = \"https://x\"\nprinter_typo = 1\n"), 0o600)
	if _, err := loadConfig(p); err == nil || !strings.Contains(err.Error(), "printer_typo") {
		t.Fatalf("unknown setting: err %v", err)
	}
	os.WriteFile(p, []byte("kiosk_id = \"K007\"\nkiosk_no = 1000\nserver_url = \"https://x\"\n[reader]\ndriver = \"magic\"\n"), 0o600)
	_, err := loadConfig(p)
	if err == nil || !strings.Contains(err.Error(), "kiosk_no") || !strings.Contains(err.Error(), "reader.driver") {
		t.Fatalf("invalid settings: err %v", err)
	}
	os.WriteFile(p, []byte("kiosk_id = \"K007\"\nkiosk_no = 7\nserver_url = \"https://x\"\ndata_dir = \"/srv/k\"\n"), 0o600)
	c, err := loadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.KeyFile != "/srv/k/kiosk.key" || c.PublicBaseURL != "https://x" || c.Limits.MaxUnsent != 200 {
		t.Fatalf("defaults not filled: %+v", c)
	}
}

func TestSampleConfigLoads(t *testing.T) {
	if _, err := loadConfig("deploy/kiosk.toml"); err != nil {
		t.Fatal(err)
	}
}

func TestPINHash(t *testing.T) {
	var out, errb bytes.Buffer
	if rc := runPINHash(strings.NewReader("246810\n"), &out, &errb); rc != 0 {
		t.Fatalf("rc %d: %s", rc, errb.String())
	}
	if !strings.HasPrefix(out.String(), "$argon2id$") {
		t.Fatalf("got %q", out.String())
	}
	if rc := runPINHash(strings.NewReader("12ab\n"), &out, &errb); rc != 2 {
		t.Fatalf("a non-digit PIN: rc %d", rc)
	}
}
