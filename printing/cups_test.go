package printing

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"huren/kiosk"
)

// The CUPS tests run a private cupsd (its own configuration, spool and domain socket in a temporary folder;
// the system's CUPS is not touched) with a cups-pdf queue. cups-pdf reads its per-queue configuration from
// /etc/cups/cups-pdf-QUEUE.conf (a path compiled into it); the test writes one for its uniquely named queue
// so the PDFs land in the temporary folder, and removes it afterwards.

type cupsServer struct {
	dir, sock, queue, out, queueConf string
	cmd                              *exec.Cmd
}

var cupsd struct {
	once sync.Once
	srv  *cupsServer
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if cupsd.srv != nil {
		cupsd.srv.stop()
	}
	os.Exit(code)
}

func findTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/sbin", "/usr/bin"} {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", name)
}

// startCUPS starts the private cupsd once per test binary. A missing tool or a cupsd that cannot start fails
// the test with the reason (make deps installs cups, cups-client, cups-bsd, printer-driver-cups-pdf).
func startCUPS(t *testing.T) *cupsServer {
	t.Helper()
	cupsd.once.Do(func() { cupsd.srv, cupsd.err = newCUPSServer() })
	if cupsd.err != nil {
		t.Fatalf("cannot run a test cupsd: %v", cupsd.err)
	}
	return cupsd.srv
}

func newCUPSServer() (*cupsServer, error) {
	for _, tool := range []string{"cupsd", "lpadmin", "lpstat", "lp", "cancel", "cupsenable", "cupsdisable", "cupsaccept", "cupsreject"} {
		if _, err := findTool(tool); err != nil {
			return nil, fmt.Errorf("%v: install the Debian packages cups, cups-client and cups-bsd (make deps)", err)
		}
	}
	if _, err := os.Stat("/usr/lib/cups/backend/cups-pdf"); err != nil {
		return nil, fmt.Errorf("cups-pdf backend missing: install printer-driver-cups-pdf (make deps): %v", err)
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("the cups-pdf backend runs only under a cupsd started as root; run the printing tests as root (CI does)")
	}
	dir, err := os.MkdirTemp("", "huren-cups-")
	if err != nil {
		return nil, err
	}
	s := &cupsServer{dir: dir, sock: filepath.Join(dir, "cups.sock"), out: filepath.Join(dir, "out"),
		queue: fmt.Sprintf("HurenTest%d", os.Getpid())}
	ok := false
	defer func() {
		if !ok {
			s.stop()
		}
	}()
	for _, d := range []string{"conf/ppd", "spool/tmp", "cache", "state", "log", "out"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`LogLevel info
Listen %s
Browsing No
WebInterface No
DefaultAuthType None
MaxJobs 100
PreserveJobHistory Yes
<Location />
  Order allow,deny
  Allow all
</Location>
<Location /admin>
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
`, s.sock)
	files := fmt.Sprintf(`ServerRoot %[1]s/conf
RequestRoot %[1]s/spool
TempDir %[1]s/spool/tmp
CacheDir %[1]s/cache
StateDir %[1]s/state
ErrorLog %[1]s/log/error_log
AccessLog %[1]s/log/access_log
PageLog %[1]s/log/page_log
Printcap %[1]s/printcap
User lp
Group lp
SystemGroup root
`, dir)
	if err := os.WriteFile(filepath.Join(dir, "conf/cupsd.conf"), []byte(conf), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "conf/cups-files.conf"), []byte(files), 0o644); err != nil {
		return nil, err
	}
	s.queueConf = "/etc/cups/cups-pdf-" + s.queue + ".conf"
	pdfConf := fmt.Sprintf("Out %[1]s/out\nAnonDirName %[1]s/out\nSpool %[1]s/spool/cups-pdf\nGrp root\nUserUMask 0022\nLogType 3\nLog %[1]s/log\n", dir)
	if err := os.WriteFile(s.queueConf, []byte(pdfConf), 0o644); err != nil {
		return nil, fmt.Errorf("write the cups-pdf queue configuration: %w", err)
	}

	bin, _ := findTool("cupsd")
	s.cmd = exec.Command(bin, "-f", "-c", filepath.Join(dir, "conf/cupsd.conf"), "-s", filepath.Join(dir, "conf/cups-files.conf"))
	logf, err := os.Create(filepath.Join(dir, "log/cupsd.out"))
	if err != nil {
		return nil, err
	}
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start cupsd: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait(); logf.Close() }()
	ready := false
	for i := 0; i < 300 && !ready; i++ { // up to 30 s on a loaded machine
		select {
		case err := <-exited:
			s.cmd = nil
			return nil, fmt.Errorf("cupsd exited: %v: %s", err, s.logTail())
		default:
		}
		out, _ := s.tool("lpstat", "-r")
		ready = strings.Contains(out, "scheduler is running")
		if !ready {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !ready {
		return nil, fmt.Errorf("cupsd did not come up: %s", s.logTail())
	}
	if out, err := s.tool("lpadmin", "-p", s.queue, "-v", "cups-pdf:/"+s.queue, "-m", "lsb/usr/cups-pdf/CUPS-PDF_opt.ppd", "-E"); err != nil {
		return nil, fmt.Errorf("lpadmin: %v: %s", err, out)
	}
	ok = true
	return s, nil
}

func (s *cupsServer) tool(name string, args ...string) (string, error) {
	bin, err := findTool(name)
	if err != nil {
		return "", err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "CUPS_SERVER="+s.sock, "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (s *cupsServer) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "log/error_log"))
	o, _ := os.ReadFile(filepath.Join(s.dir, "log/cupsd.out"))
	b = append(b, o...)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

func (s *cupsServer) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill() // our own child, by pid
		time.Sleep(100 * time.Millisecond)
	}
	if s.queueConf != "" {
		_ = os.Remove(s.queueConf)
	}
	_ = os.RemoveAll(s.dir)
}

func (s *cupsServer) printer() *CUPS {
	c := NewCUPS(s.queue)
	c.SetServer(s.sock)
	c.SetJobTimeout(90 * time.Second)
	return c
}

func TestCUPSPrintCompletes(t *testing.T) {
	s := startCUPS(t)
	c := s.printer()
	ctx := context.Background()
	st, err := c.Status(ctx)
	if err != nil || !st.Online || st.Err() != nil {
		t.Fatalf("status %+v %v", st, err)
	}
	doc := testReceipt()
	if err := c.Print(ctx, kiosk.Document{Receipt: &doc}); err != nil {
		t.Fatalf("print: %v\n%s", err, s.logTail())
	}
	job := c.LastJob()
	if !strings.HasPrefix(job, s.queue+"-") {
		t.Errorf("job id %q", job)
	}
	// completed: cups-pdf has written the PDF
	files, _ := filepath.Glob(filepath.Join(s.out, "*.pdf"))
	var found string
	for _, f := range files {
		if strings.Contains(filepath.Base(f), doc.Receipt.String()) {
			found = f
		}
	}
	if found == "" {
		t.Fatalf("no PDF from cups-pdf in %s (have %v)\n%s", s.out, files, s.logTail())
	}
	b, err := os.ReadFile(found)
	if err != nil || !strings.HasPrefix(string(b), "%PDF") {
		t.Fatalf("cups-pdf output %s is not a PDF: %v", found, err)
	}
	// cups-pdf re-distils the job through PostScript, which loses the text layer of embedded CID fonts, so
	// the printed PDF is checked by its QR code: it must scan to exactly the status URL.
	pages := renderPNG(t, b, "200")
	if got := decodeQR(t, pages[0]); len(got) != 1 || got[0] != doc.StatusURL {
		t.Errorf("QR of the printed PDF decodes to %q, want %q", got, doc.StatusURL)
	}
	copyFile(t, pages[0], filepath.Join(outDir(t), "receipt-via-cups-pdf.png"))
	out, _ := s.tool("lpstat", "-W", "completed", "-o", s.queue)
	if !hasJob(out, job) {
		t.Errorf("job %s not among completed jobs: %s", job, out)
	}
}

func TestCUPSStoppedQueue(t *testing.T) {
	s := startCUPS(t)
	c := s.printer()
	ctx := context.Background()
	if out, err := s.tool("cupsdisable", "-r", "纸卷已用完 roll empty (test)", s.queue); err != nil {
		t.Fatalf("cupsdisable: %v %s", err, out)
	}
	defer s.tool("cupsenable", s.queue)
	before, _ := s.tool("lpstat", "-W", "all", "-o", s.queue)
	doc := testReceipt()
	err := c.Print(ctx, kiosk.Document{Receipt: &doc})
	if !errors.Is(err, kiosk.ErrPrinterOffline) {
		t.Fatalf("err = %v, want ErrPrinterOffline", err)
	}
	var se *StatusError
	if !errors.As(err, &se) {
		t.Errorf("not a *StatusError: %T", err)
	}
	for _, want := range []string{"打印机未连接", "disabled", "roll empty (test)", s.queue} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	after, _ := s.tool("lpstat", "-W", "all", "-o", s.queue)
	if before != after {
		t.Errorf("a job was submitted to the stopped queue:\n%s", after)
	}
	if h := Health(ctx, c, time.Now()); h.OK || !strings.Contains(h.Detail, "disabled") {
		t.Errorf("health %+v", h)
	}

	// enabled but rejecting jobs
	s.tool("cupsenable", s.queue)
	if out, err := s.tool("cupsreject", s.queue); err != nil {
		t.Fatalf("cupsreject: %v %s", err, out)
	}
	defer s.tool("cupsaccept", s.queue)
	err = c.Print(ctx, kiosk.Document{Receipt: &doc})
	if !errors.Is(err, kiosk.ErrPrinterOffline) || !strings.Contains(err.Error(), "not accepting") {
		t.Errorf("err = %v", err)
	}
}

func TestCUPSUnknownQueue(t *testing.T) {
	s := startCUPS(t)
	c := NewCUPS("NoSuchQueue")
	c.SetServer(s.sock)
	st, err := c.Status(context.Background())
	if err != nil || st.Online || !strings.Contains(st.Detail, "NoSuchQueue") {
		t.Errorf("status %+v %v", st, err)
	}
	doc := testReceipt()
	if err := c.Print(context.Background(), kiosk.Document{Receipt: &doc}); !errors.Is(err, kiosk.ErrPrinterOffline) {
		t.Errorf("err = %v", err)
	}
}

func TestParseLpstat(t *testing.T) {
	const accepting = "Q accepting requests since Fri Dec  4 20:21:37 2026\n"
	mk := func(first, msg, alerts string) string {
		s := first + "\n"
		if msg != "" {
			s += "\t" + msg + "\n"
		}
		return s + "\tForm mounted:\n\tContent types: any\n\tDescription: Q\n\tAlerts: " + alerts + "\n\tLocation: \n"
	}
	cases := []struct {
		name, lp, acc string
		want          error
		check         func(kiosk.PrinterStatus) bool
	}{
		{"idle", mk("printer Q is idle.  enabled since Fri Dec  4 2026", "", "none"), accepting, nil, nil},
		{"printing", mk("printer Q now printing Q-3.  enabled since Fri Dec  4 2026", "", "none"), accepting, nil, nil},
		{"media empty", mk("printer Q is idle.  enabled since x", "Out of paper", "media-empty-error media-needed"), accepting, kiosk.ErrPaperOut,
			func(s kiosk.PrinterStatus) bool {
				return strings.Contains(s.Detail, "media-empty-error") && strings.Contains(s.Detail, "Out of paper")
			}},
		{"media low", mk("printer Q is idle.  enabled since x", "", "media-low-report"), accepting, nil,
			func(s kiosk.PrinterStatus) bool { return s.PaperNearEnd }},
		{"cover", mk("printer Q is idle.  enabled since x", "", "cover-open-error"), accepting, kiosk.ErrCoverOpen, nil},
		{"offline", mk("printer Q is idle.  enabled since x", "", "offline-report"), accepting, nil, nil},
		{"offline error", mk("printer Q is idle.  enabled since x", "", "offline-error"), accepting, kiosk.ErrPrinterOffline, nil},
		{"jam", mk("printer Q is idle.  enabled since x", "", "media-jam-error"), accepting, kiosk.ErrPrinterFault, nil},
		{"stopped", mk("printer Q disabled since Fri Dec  4 2026 -", "Paused by staff", "paused"), accepting, kiosk.ErrPrinterOffline,
			func(s kiosk.PrinterStatus) bool { return strings.Contains(s.Detail, "Paused by staff") }},
		{"rejecting", mk("printer Q is idle.  enabled since x", "", "none"), "Q not accepting requests since x -\n\tRejecting Jobs\n", kiosk.ErrPrinterOffline, nil},
		{"garbage", "lpstat: something else", accepting, kiosk.ErrPrinterOffline, nil},
	}
	for _, c := range cases {
		st := parseLpstat("Q", c.lp, c.acc)
		if err := st.Err(); !errors.Is(err, c.want) && !(err == nil && c.want == nil) {
			t.Errorf("%s: err = %v, want %v (%+v)", c.name, err, c.want, st)
		}
		if c.check != nil && !c.check(st) {
			t.Errorf("%s: %+v", c.name, st)
		}
		if st.Detail == "" {
			t.Errorf("%s: no detail", c.name)
		}
	}
}

func FuzzParseLpstat(f *testing.F) {
	f.Add("printer Q is idle.  enabled since x\n\tAlerts: media-empty-error\n", "Q accepting requests since x\n")
	f.Add("printer Q disabled since x -\n\treason\n\tForm mounted:\n", "")
	f.Fuzz(func(t *testing.T, lp, acc string) {
		st := parseLpstat("Q", lp, acc)
		if st.Detail == "" {
			t.Fatal("no detail")
		}
		if st.PaperOut && st.Err() == nil {
			t.Fatal("paper out but can print")
		}
	})
}

func TestCUPSJobThatCannotComplete(t *testing.T) {
	s := startCUPS(t)
	// a queue whose printer cannot be reached: the job is accepted but never completes
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	q := s.queue + "Dead"
	if out, err := s.tool("lpadmin", "-p", q, "-v", "socket://"+addr, "-m", "lsb/usr/cups-pdf/CUPS-PDF_opt.ppd", "-E"); err != nil {
		t.Fatalf("lpadmin: %v %s", err, out)
	}
	defer s.tool("lpadmin", "-x", q)
	c := NewCUPS(q)
	c.SetServer(s.sock)
	c.SetJobTimeout(8 * time.Second) // the socket backend retries for ever; the wait gives up
	doc := testReceipt()
	err = c.Print(context.Background(), kiosk.Document{Receipt: &doc})
	if !errors.Is(err, kiosk.ErrPrinterOffline) || !strings.Contains(err.Error(), c.LastJob()) {
		t.Fatalf("err = %v, want offline naming job %q", err, c.LastJob())
	}
	if !strings.Contains(err.Error(), "not completed") {
		t.Errorf("error does not say the job did not complete: %v", err)
	}
	t.Logf("error: %v", err)
	out, _ := s.tool("lpstat", "-W", "not-completed", "-o", q)
	if hasJob(out, c.LastJob()) {
		t.Errorf("job %s left pending after the failure:\n%s", c.LastJob(), out)
	}
}
