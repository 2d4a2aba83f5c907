package printing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	"huren/kiosk"
)

// CUPS prints PDF documents on a CUPS queue with the CUPS command-line tools (lp, lpstat, cancel): it checks
// the queue before each job (disabled, not accepting, state reasons such as media-empty), submits the PDF and
// waits until the job has completed.
type CUPS struct {
	queue string

	mu      sync.Mutex
	server  string
	size    Size
	timeout time.Duration
	poll    time.Duration
	clock   kiosk.Clock
	lastJob string
}

var _ kiosk.Printer = (*CUPS)(nil)

// NewCUPS returns a printer for the CUPS queue (destination) queue on the default server, printing 80 mm roll
// PDFs and waiting up to 2 minutes for each job.
func NewCUPS(queue string) *CUPS {
	return &CUPS{queue: queue, size: Roll80, timeout: 2 * time.Minute, poll: 250 * time.Millisecond, clock: kiosk.SystemClock{}}
}

// SetServer selects the CUPS server for the tools (CUPS_SERVER: host[:port] or a domain socket path);
// "" is the system default.
func (c *CUPS) SetServer(server string) { c.mu.Lock(); c.server = server; c.mu.Unlock() }

// SetSize chooses the paper size of the PDFs (Roll80 by default).
func (c *CUPS) SetSize(s Size) { c.mu.Lock(); c.size = s; c.mu.Unlock() }

// SetJobTimeout sets how long Print waits for a job to complete (2 minutes by default).
func (c *CUPS) SetJobTimeout(d time.Duration) { c.mu.Lock(); c.timeout = d; c.mu.Unlock() }

// SetClock sets the clock that stamps test pages.
func (c *CUPS) SetClock(cl kiosk.Clock) { c.mu.Lock(); c.clock = cl; c.mu.Unlock() }

// Queue returns the queue name.
func (c *CUPS) Queue() string { return c.queue }

// LastJob returns the id (QUEUE-N) of the last job submitted, or "".
func (c *CUPS) LastJob() string { c.mu.Lock(); defer c.mu.Unlock(); return c.lastJob }

// ErrCUPSTool is wrapped when a CUPS command-line tool is missing (Debian packages cups-client, cups-bsd).
var ErrCUPSTool = errors.New("cups tool missing (install cups-client)")

func (c *CUPS) run(ctx context.Context, stdin []byte, name string, args ...string) (string, error) {
	bin, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, ErrCUPSTool)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	env := append(os.Environ(), "LC_ALL=C", "LANG=C")
	c.mu.Lock()
	if c.server != "" {
		env = append(env, "CUPS_SERVER="+c.server)
	}
	c.mu.Unlock()
	cmd.Env = env
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = strings.TrimSpace(out.String())
		}
		return out.String(), fmt.Errorf("%s: %v: %s", name, err, msg)
	}
	return out.String(), nil
}

// Status reads the queue's state with lpstat: disabled (stopped) or not accepting jobs → offline; state
// reasons map to paper out (media-empty, media-needed), paper near end (media-low), cover open (cover-open,
// door-open, interlock-open), offline (offline, shutdown, connecting-to-device, timed-out) and fault
// (*-jam, other *-error). An unknown queue or an unreachable server is reported offline with the cause in
// Detail; the error is non-nil only when ctx ends.
func (c *CUPS) Status(ctx context.Context) (kiosk.PrinterStatus, error) {
	if err := ctx.Err(); err != nil {
		return kiosk.PrinterStatus{}, err
	}
	p, err := c.run(ctx, nil, "lpstat", "-l", "-p", c.queue)
	if err != nil {
		if ctx.Err() != nil {
			return kiosk.PrinterStatus{}, ctx.Err()
		}
		return kiosk.PrinterStatus{Detail: fmt.Sprintf("cups %s: %v", c.queue, err)}, nil
	}
	a, err := c.run(ctx, nil, "lpstat", "-a", c.queue)
	if err != nil {
		if ctx.Err() != nil {
			return kiosk.PrinterStatus{}, ctx.Err()
		}
		return kiosk.PrinterStatus{Detail: fmt.Sprintf("cups %s: %v", c.queue, err)}, nil
	}
	return parseLpstat(c.queue, p, a), nil
}

// parseLpstat reads `lpstat -l -p QUEUE` and `lpstat -a QUEUE` output (C locale).
func parseLpstat(queue, printer, accepting string) kiosk.PrinterStatus {
	st := kiosk.PrinterStatus{Online: true}
	var detail []string
	lines := strings.Split(printer, "\n")
	first := strings.TrimSpace(lines[0])
	if !strings.HasPrefix(first, "printer "+queue+" ") {
		return kiosk.PrinterStatus{Detail: fmt.Sprintf("cups %s: unexpected lpstat output %q", queue, first)}
	}
	if strings.Contains(first, " disabled since ") {
		st.Online = false
		detail = append(detail, "queue disabled (stopped)")
	}
	var reasons []string
	for i, l := range lines[1:] {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "Alerts:"):
			for _, r := range strings.Fields(strings.TrimPrefix(t, "Alerts:")) {
				if r != "none" {
					reasons = append(reasons, r)
				}
			}
		case i == 0 && t != "" && !strings.HasPrefix(t, "Form mounted:") && !strings.HasPrefix(t, "Description:"):
			// printer-state-message (e.g. the reason given to cupsdisable -r)
			detail = append(detail, "message: "+t)
		}
	}
	for _, r := range reasons {
		base := r
		for _, sfx := range []string{"-error", "-warning", "-report"} {
			base = strings.TrimSuffix(base, sfx)
		}
		report := strings.HasSuffix(r, "-report")
		switch {
		case base == "media-low":
			st.PaperNearEnd = true
		case report || base == "none":
		case base == "media-empty" || base == "media-needed" || base == "input-tray-missing":
			st.PaperOut = true
		case base == "cover-open" || base == "door-open" || base == "interlock-open":
			st.CoverOpen = true
		case base == "offline" || base == "shutdown" || base == "connecting-to-device" || base == "timed-out" || base == "paused":
			st.Online = false
		case base == "cutter-jam" || base == "cutter-failure":
			st.CutterError = true
		case strings.HasSuffix(base, "-jam") || strings.HasSuffix(r, "-error") && !strings.HasPrefix(base, "marker-"):
			st.Unrecoverable = true
		}
	}
	if len(reasons) > 0 {
		detail = append(detail, "reasons: "+strings.Join(reasons, " "))
	}
	if strings.Contains(accepting, " not accepting requests") {
		st.Online = false
		detail = append(detail, "not accepting jobs")
	}
	if len(detail) == 0 {
		detail = append(detail, "ready")
	}
	st.Detail = "cups " + queue + ": " + strings.Join(detail, "; ")
	return st
}

var jobIDRE = regexp.MustCompile(`request id is (\S+)`)

// Submit checks the queue and submits doc as a PDF without waiting; it returns the job id (QUEUE-N).
// Errors: *StatusError (nothing submitted), layout errors, lp failures wrapping kiosk.ErrPrinterOffline.
func (c *CUPS) Submit(ctx context.Context, doc kiosk.Document) (string, error) {
	c.mu.Lock()
	size, now := c.size, c.clock.Now()
	c.mu.Unlock()
	pdf, err := DocumentPDF(doc, size, now)
	if err != nil {
		return "", fmt.Errorf("cups: %w", err)
	}
	st, err := c.Status(ctx)
	if err != nil {
		return "", err
	}
	if err := statusError(st); err != nil {
		return "", err
	}
	out, err := c.run(ctx, pdf, "lp", "-d", c.queue, "-t", docName(doc, now), "--", "-")
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("cups submit: %v: %w", err, kiosk.ErrPrinterOffline)
	}
	m := jobIDRE.FindStringSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("cups submit: no job id in %q: %w", strings.TrimSpace(out), kiosk.ErrPrinterOffline)
	}
	c.mu.Lock()
	c.lastJob = m[1]
	c.mu.Unlock()
	return m[1], nil
}

// Print checks the queue, submits doc as a PDF and waits until CUPS reports the job completed. Errors:
// *StatusError wrapping a kiosk printer error when the queue cannot print (nothing submitted); an error
// wrapping kiosk.ErrPrinterOffline (or the queue's cause) when the job does not complete within the job
// timeout (the job is cancelled) or the queue stops while it waits; ctx errors (the job is cancelled).
func (c *CUPS) Print(ctx context.Context, doc kiosk.Document) error {
	id, err := c.Submit(ctx, doc)
	if err != nil {
		return err
	}
	return c.Wait(ctx, id)
}

// Wait polls until job id has left the queue's not-completed list and appears among completed jobs. While
// it waits it watches the queue: stopped or paper out → the job is cancelled and the cause returned.
func (c *CUPS) Wait(ctx context.Context, id string) error {
	c.mu.Lock()
	timeout, poll := c.timeout, c.poll
	c.mu.Unlock()
	wctx, cancelWait := context.WithTimeout(ctx, timeout)
	defer cancelWait()
	var lastJob, lastQueue string // what CUPS last said, for the error
	for {
		pending, err := c.run(wctx, nil, "lpstat", "-l", "-W", "not-completed", "-o", c.queue)
		if err == nil && !hasJob(pending, id) {
			done, err := c.run(wctx, nil, "lpstat", "-W", "completed", "-o", c.queue)
			if err == nil && hasJob(done, id) {
				return nil
			}
			if err == nil {
				return fmt.Errorf("cups job %s vanished from the queue: %w", id, kiosk.ErrPrinterOffline)
			}
		}
		if err == nil {
			if s := jobStatus(pending, id); s != "" {
				lastJob = s
			}
			// still pending: has the queue stopped under it?
			if st, serr := c.Status(wctx); serr == nil {
				lastQueue = st.Detail
				if e := statusError(st); e != nil && !strings.Contains(st.Detail, "not accepting") {
					c.cancel(id)
					return fmt.Errorf("cups job %s: %w", id, e)
				}
			}
		}
		select {
		case <-wctx.Done():
			c.cancel(id)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("cups job %s not completed within %v (job: %q; %s): %w",
				id, timeout, lastJob, lastQueue, kiosk.ErrPrinterOffline)
		case <-time.After(poll):
		}
	}
}

// jobStatus returns the "Status:" line lpstat -l -o prints under job id.
func jobStatus(out, id string) string {
	in := false
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 && !strings.HasPrefix(l, "\t") && !strings.HasPrefix(l, " ") {
			in = f[0] == id
			continue
		}
		if t := strings.TrimSpace(l); in && strings.HasPrefix(t, "Status:") {
			return strings.TrimSpace(strings.TrimPrefix(t, "Status:"))
		}
	}
	return ""
}

func (c *CUPS) cancel(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = c.run(ctx, nil, "cancel", id)
}

// hasJob reports whether lpstat -o output lists job id.
func hasJob(out, id string) bool {
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == id {
			return true
		}
	}
	return false
}
