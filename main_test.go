package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"huren/kiosk"
	"huren/kiosk/idcard"
	"huren/kiosk/store"
	"huren/review"
)

func TestMain(m *testing.M) {
	if os.Getenv("HUREN_TEST_MAIN") == "1" { // the test binary re-executed as the real kiosk program
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestEndToEnd runs the real kiosk program (this test binary re-executed as main) in demo mode under Xvfb
// with the GLFW driver: the autopilot taps two applicants through the real screens with the demo reader's
// cards and the demo camera, the receipts print as PDF files, the uploader delivers to the embedded review
// service over real HTTP, and the program exits 0 once the service has accepted both. Then the test reopens
// the kiosk's queue and the review service's database and checks every link: the queue holds both
// applications, each receipt's QR code holds its status URL, and the status page for that URL says 已受理
// with the due date (404 with a wrong token). The GUI test of the same path with fyne's test driver is in
// app/e2e_test.go.
func TestEndToEnd(t *testing.T) {
	for _, tool := range []string{"Xvfb", "pdftotext", "pdftoppm", "zbarimg"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed (make deps installs xvfb, poppler-utils and zbar-tools): %v", tool, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	display := startXvfb(t)
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, os.Args[0], "-demo", "-data", dir, "-autopilot", "2")
	cmd.Env = append(os.Environ(), "HUREN_TEST_MAIN=1", "DISPLAY="+display, "LIBGL_ALWAYS_SOFTWARE=1")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kiosk -demo -autopilot 2: %v\nstdout:\n%s\nstderr (tail):\n%s", err, stdout.String(), tail(stderr.String(), 40))
	}
	type line struct {
		Receipt string  `json:"receipt"`
		State   string  `json:"state"`
		Seconds float64 `json:"seconds"`
	}
	var lines []line
	for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var x line
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatalf("autopilot output line %q: %v", l, err)
		}
		lines = append(lines, x)
	}
	if len(lines) != 2 {
		t.Fatalf("autopilot printed %d applications, want 2:\n%s", len(lines), stdout.String())
	}

	// The kiosk's queue (reopened with its key): both applications, committed and delivered.
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(dir, "queue.db"), KeyFile: filepath.Join(dir, "kiosk.key"),
		KioskNo: 1, MinFreeBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	// The review service's database, served again in-process.
	svc, err := review.Open(ctx, review.Options{DB: filepath.Join(dir, "review", "huren-review.db"), DataDir: filepath.Join(dir, "review")})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	srv := httptest.NewServer(svc.Handler())
	defer srv.Close()
	hc := &http.Client{Timeout: 10 * time.Second}

	for _, l := range lines {
		if l.State != string(kiosk.StateAccepted) {
			t.Fatalf("%s: state %q at the review service, want accepted", l.Receipt, l.State)
		}
		r, err := kiosk.ParseReceipt(l.Receipt)
		if err != nil {
			t.Fatal(err)
		}
		a, err := st.Get(ctx, r)
		if err != nil {
			t.Fatalf("the kiosk's queue lost %s: %v", r, err)
		}
		path := "/s/" + r.String() + "?t=" + url.QueryEscape(a.StatusToken)

		// The printed receipt: number and masked ID in its text, never the full number; QR = status URL.
		pdfs, _ := filepath.Glob(filepath.Join(dir, "receipts", "*"+r.String()+"*.pdf"))
		if len(pdfs) != 1 {
			all, _ := filepath.Glob(filepath.Join(dir, "receipts", "*"))
			t.Fatalf("receipt folder has %d PDFs for %s: %v", len(pdfs), r, all)
		}
		text := runTool(t, "pdftotext", "-layout", pdfs[0], "-")
		if !strings.Contains(text, r.String()) || !strings.Contains(text, idcard.MaskNumber(a.Applicant.Number)) {
			t.Errorf("receipt text lacks the receipt number or the masked ID number:\n%s", text)
		}
		if strings.Contains(text, a.Applicant.Number) || strings.Contains(text, a.Applicant.Name) {
			t.Errorf("receipt text shows the full ID number or name")
		}
		png := filepath.Join(t.TempDir(), "receipt")
		runTool(t, "pdftoppm", "-r", "200", "-png", "-singlefile", pdfs[0], png)
		qr := strings.TrimSpace(runTool(t, "zbarimg", "--quiet", "--raw", png+".png"))
		u, err := url.Parse(qr)
		if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.RequestURI() != path {
			t.Fatalf("QR code holds %q, want the status URL http://127.0.0.1:PORT%s", qr, path)
		}

		page := get(t, hc, srv.URL+path, http.StatusOK)
		if !strings.Contains(page, "已受理") {
			t.Errorf("status page does not say 已受理:\n%s", page)
		}
		if !regexp.MustCompile(`20\d\d[-年]\d\d?[-月]\d\d?`).MatchString(page) {
			t.Errorf("status page shows no due date:\n%s", page)
		}
		if strings.Contains(page, a.Applicant.Name) || strings.Contains(page, a.Applicant.Number) {
			t.Errorf("status page shows the full name or ID number")
		}
		get(t, hc, srv.URL+"/s/"+r.String()+"?t="+kiosk.NewStatusToken(), http.StatusNotFound)
		get(t, hc, srv.URL+"/s/"+r.String(), http.StatusNotFound)
		if strings.Contains(stderr.String(), a.Applicant.Number) {
			t.Errorf("the full ID number reached the log")
		}
	}
	if !strings.Contains(stderr.String(), `"msg":"home shown"`) {
		t.Errorf("the log never said the Home screen was shown")
	}
}

// startXvfb starts a private X server for the test and returns its DISPLAY.
func startXvfb(t *testing.T) string {
	t.Helper()
	for n := 150; n < 200; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
			continue
		}
		cmd := exec.Command("Xvfb", fmt.Sprintf(":%d", n), "-screen", "0", "1280x1024x24", "-nolisten", "tcp")
		if err := cmd.Start(); err != nil {
			t.Fatalf("start Xvfb: %v", err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		for i := 0; i < 100; i++ {
			if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
				return fmt.Sprintf(":%d", n)
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("Xvfb :%d did not come up", n)
	}
	t.Fatal("no free X display number")
	return ""
}

func tail(s string, n int) string {
	l := strings.Split(s, "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
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
