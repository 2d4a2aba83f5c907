package printing

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"huren/kiosk"
)

// Diag runs `huren diag print --sample [--doc receipt|refusal|test] [--size roll80|a6] [--reprint]
// (--cups QUEUE [--cups-server S] | --escpos DEV|tcp://HOST:PORT|file:PATH [--raster-qr] | --pdf-dir DIR)`.
// It prints a document with made-up data and writes the file path (PDF folder), the job id (CUPS) or the
// target (ESC/POS) on stdout. args may start with "print". It returns the exit code: 0 printed, 1 the
// printer failed (the reason on stderr), 2 usage.
func Diag(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "print" {
		args = args[1:]
	}
	fs := flag.NewFlagSet("huren diag print", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sample := fs.Bool("sample", false, "print a sample document with made-up data (required)")
	docKind := fs.String("doc", "receipt", "document: receipt, refusal or test")
	sizeName := fs.String("size", "roll80", "PDF paper size for --cups and --pdf-dir: roll80 or a6")
	reprint := fs.Bool("reprint", false, "mark the receipt 补打 (reprint) with the current time")
	queue := fs.String("cups", "", "print on this CUPS queue")
	server := fs.String("cups-server", "", "CUPS server (host[:port] or socket path; default: the system's)")
	target := fs.String("escpos", "", "print on an ESC/POS printer: /dev/usb/lp0, file:PATH or tcp://HOST:PORT")
	raster := fs.Bool("raster-qr", false, "ESC/POS: print the QR code as a raster image (printers without native QR)")
	dir := fs.String("pdf-dir", "", "write a PDF file into this folder")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: huren diag print --sample [--doc receipt|refusal|test] (--cups QUEUE | --escpos DEV|tcp://HOST:PORT|file:PATH | --pdf-dir DIR)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	n := 0
	for _, s := range []string{*queue, *target, *dir} {
		if s != "" {
			n++
		}
	}
	if !*sample || n != 1 || fs.NArg() != 0 {
		fs.Usage()
		return 2
	}
	size, err := ParseSize(*sizeName)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	now := time.Now()
	var doc kiosk.Document
	switch *docKind {
	case "receipt":
		r := SampleReceipt(now)
		if *reprint {
			r.Reprint = now
		}
		doc.Receipt = &r
	case "refusal":
		r := SampleRefusal(now)
		doc.Refusal = &r
	case "test":
		doc.TestPage = true
	default:
		fmt.Fprintf(stderr, "unknown --doc %q (want receipt, refusal or test)\n", *docKind)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	fail := func(err error) int {
		fmt.Fprintf(stderr, "打印失败 (print failed): %v\n", err)
		if errIsPrinter(err) {
			fmt.Fprintf(stderr, "提示: %s / %s\n", kiosk.Message(err, false), kiosk.Message(err, true))
		}
		return 1
	}
	switch {
	case *dir != "":
		p, err := NewPDFFolder(*dir)
		if err != nil {
			return fail(err)
		}
		p.SetSize(size)
		if err := p.Print(ctx, doc); err != nil {
			return fail(err)
		}
		fmt.Fprintln(stdout, p.LastFile())
	case *queue != "":
		c := NewCUPS(*queue)
		c.SetServer(*server)
		c.SetSize(size)
		c.SetJobTimeout(*timeout)
		id, err := c.Submit(ctx, doc)
		if err != nil {
			return fail(err)
		}
		if err := c.Wait(ctx, id); err != nil {
			return fail(fmt.Errorf("job %s: %w", id, err))
		}
		fmt.Fprintln(stdout, id)
	default:
		p, err := NewESCPOS(*target)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		p.SetRasterQR(*raster)
		if err := p.Print(ctx, doc); err != nil {
			return fail(err)
		}
		st, _ := p.Status(ctx)
		fmt.Fprintf(stdout, "%s\t%s\n", *target, st.Detail)
	}
	return 0
}
