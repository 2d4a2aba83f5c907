// Command huren-review is Huren's central review service: the kiosk API (protocol v1), the reviewer web UI,
// the public status page, notifications, and the administration commands around them.
//
//	huren-review serve [--addr :8080] [--db ./huren-review.db] [--data DIR] [--tls-cert F --tls-key F] [--public-url URL]
//	huren-review kiosk add ID --name NAME       prints the kiosk's secret once
//	huren-review kiosk list
//	huren-review kiosk disable ID
//	huren-review reviewer add NAME [--password-file F]   (otherwise asks on the terminal)
//	huren-review staff-pin STAFF [--pin-file F]          admin PIN handed to kiosks
//	huren-review migrate
//	huren-review demo-seed
//
// Kiosk secrets are kept encrypted (AES-256-GCM) under the server key DATA/server.key (32 random bytes, 0600,
// made on first start); back it up with the database, or every kiosk must be re-keyed.
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"huren/kiosk/places"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"golang.org/x/sys/unix"

	"huren/review"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "huren-review:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

const usage = `usage:
  huren-review serve [--addr :8080] [--db ./huren-review.db] [--data DIR] [--tls-cert FILE --tls-key FILE] [--public-url URL]
                     [--sms-url URL --sms-secret-file F] [--province-url URL --province-secret-file F] [--demo]
  huren-review kiosk add ID --name NAME
  huren-review kiosk list
  huren-review kiosk disable ID
  huren-review reviewer add NAME [--password-file FILE]
  huren-review staff-pin STAFF [--pin-file FILE]
  huren-review migrate
  huren-review demo-seed
every command takes --db and --data`

// common are the flags of every command.
type common struct {
	db, data, publicURL string
}

func newFlags(name string, c *common, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.db, "db", "./huren-review.db", "SQLite file or postgres:// URL")
	fs.StringVar(&c.data, "data", "", "data folder: blobs, server key, demo SMS/province files (default: next to the SQLite file)")
	fs.StringVar(&c.publicURL, "public-url", "", "public base URL of status links")
	return fs
}

// parse parses flags that may come before or after positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func open(ctx context.Context, c common, logger *slog.Logger) (*review.Service, error) {
	return review.Open(ctx, review.Options{DB: c.db, DataDir: c.data, PublicURL: c.publicURL, Logger: logger})
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return errUsage
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	var c common
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, stdout, stderr, logger)
	case "kiosk":
		if len(rest) == 0 {
			fmt.Fprintln(stderr, usage)
			return errUsage
		}
		sub := rest[0]
		fs := newFlags("kiosk "+sub, &c, stderr)
		name := fs.String("name", "", "kiosk name (kiosk add)")
		pos, err := parse(fs, rest[1:])
		if err != nil {
			return err
		}
		s, err := open(ctx, c, logger)
		if err != nil {
			return err
		}
		defer s.Close()
		switch {
		case sub == "add" && len(pos) == 1:
			if *name == "" {
				return fmt.Errorf("%w: kiosk add needs --name", errUsage)
			}
			secret, err := s.AddKiosk(ctx, pos[0], *name)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "kiosk %s added. Its secret (shown only now; put it in the kiosk's config):\n%s\n", pos[0], secret)
			return nil
		case sub == "list" && len(pos) == 0:
			ks, err := s.Kiosks(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tLAST HEARTBEAT\tVERSION\tQUEUE")
			for _, k := range ks {
				status := "ok"
				switch {
				case k.Disabled:
					status = "disabled"
				case k.Offline:
					status = "offline"
				}
				seen := "never"
				if !k.LastSeen.IsZero() {
					seen = k.LastSeen.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\n", k.ID, k.Name, status, seen, k.Version, k.QueueDepth)
			}
			return tw.Flush()
		case sub == "disable" && len(pos) == 1:
			if err := s.DisableKiosk(ctx, pos[0]); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "kiosk %s disabled\n", pos[0])
			return nil
		}
		fmt.Fprintln(stderr, usage)
		return errUsage
	case "reviewer", "staff-pin":
		fs := newFlags(cmd, &c, stderr)
		pwFile := fs.String("password-file", "", "read the password from this file (first line)")
		pinFile := fs.String("pin-file", "", "read the PIN from this file (first line)")
		pos, err := parse(fs, rest)
		if err != nil {
			return err
		}
		var who, secretFile, prompt string
		if cmd == "reviewer" {
			if len(pos) != 2 || pos[0] != "add" {
				fmt.Fprintln(stderr, usage)
				return errUsage
			}
			who, secretFile, prompt = pos[1], *pwFile, "password for "+pos[1]+": "
		} else {
			if len(pos) != 1 {
				fmt.Fprintln(stderr, usage)
				return errUsage
			}
			who, secretFile, prompt = pos[0], *pinFile, "PIN for "+pos[0]+": "
		}
		secret, err := readSecret(secretFile, prompt, stdin, stderr)
		if err != nil {
			return err
		}
		s, err := open(ctx, c, logger)
		if err != nil {
			return err
		}
		defer s.Close()
		if cmd == "reviewer" {
			if err := s.AddReviewer(ctx, who, secret); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "reviewer %s added\n", who)
			return nil
		}
		if len(secret) < 6 || strings.Trim(secret, "0123456789") != "" {
			return errors.New("the PIN must be at least 6 digits")
		}
		if err := s.SetStaffPIN(ctx, who, secret); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "PIN of %s set; kiosks get it with their next config fetch\n", who)
		return nil
	case "migrate", "demo-seed":
		fs := newFlags(cmd, &c, stderr)
		if pos, err := parse(fs, rest); err != nil || len(pos) != 0 {
			fmt.Fprintln(stderr, usage)
			return errUsage
		}
		s, err := open(ctx, c, logger) // Open applies the migrations
		if err != nil {
			return err
		}
		defer s.Close()
		if cmd == "demo-seed" {
			if err := s.DemoSeed(ctx); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "demo data seeded: reviewer %q password %q, staff %q PIN %q, demo provincial registry\n",
				review.DemoReviewer, review.DemoReviewerPassword, review.DemoStaff, review.DemoStaffPIN)
			return nil
		}
		fmt.Fprintln(stdout, "database is up to date")
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return errUsage
}

// readSecret reads the first line of file, or asks on the terminal without echo (or reads a line from stdin
// when it is not a terminal).
func readSecret(file, prompt string, stdin io.Reader, stderr io.Writer) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("read secret: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimRight(line, "\r"), nil
	}
	fmt.Fprint(stderr, prompt)
	if f, ok := stdin.(*os.File); ok {
		fd := int(f.Fd())
		if old, err := unix.IoctlGetTermios(fd, unix.TCGETS); err == nil {
			noecho := *old
			noecho.Lflag &^= unix.ECHO
			if err := unix.IoctlSetTermios(fd, unix.TCSETS, &noecho); err == nil {
				defer func() {
					unix.IoctlSetTermios(fd, unix.TCSETS, old)
					fmt.Fprintln(stderr)
				}()
			}
		}
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("read secret: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	var c common
	fs := newFlags("serve", &c, stderr)
	addr := fs.String("addr", ":8080", "listen address")
	cert := fs.String("tls-cert", "", "TLS certificate (PEM)")
	key := fs.String("tls-key", "", "TLS key (PEM)")
	smsURL := fs.String("sms-url", "", "SMS gateway URL (default: file driver DATA/sms.jsonl)")
	smsSecret := fs.String("sms-secret-file", "", "HMAC secret for the SMS gateway")
	provURL := fs.String("province-url", "", "provincial platform URL (default: file driver DATA/province.jsonl)")
	provSecret := fs.String("province-secret-file", "", "HMAC secret for the provincial platform")
	demo := fs.Bool("demo", false, "seed demo data (reviewer, staff PIN, registry) on start")
	communities := fs.String("communities", "", "the county's community list, CSV town_code,community (default: sample data)")
	schools := fs.String("schools", "", "the county's school list, CSV code,name (default: sample data)")
	if pos, err := parse(fs, args); err != nil || len(pos) != 0 {
		fmt.Fprintln(stderr, usage)
		return errUsage
	}
	if err := places.LoadFiles(*communities, *schools); err != nil {
		return err
	}
	if (*cert == "") != (*key == "") {
		return fmt.Errorf("%w: --tls-cert and --tls-key go together", errUsage)
	}
	o := review.Options{DB: c.db, DataDir: c.data, PublicURL: c.publicURL, Logger: logger}
	if *smsURL != "" {
		sec, err := os.ReadFile(*smsSecret)
		if err != nil {
			return fmt.Errorf("sms secret: %w", err)
		}
		o.SMS = review.NewHTTPSMS(*smsURL, []byte(strings.TrimSpace(string(sec))))
	}
	if *provURL != "" {
		sec, err := os.ReadFile(*provSecret)
		if err != nil {
			return fmt.Errorf("province secret: %w", err)
		}
		o.Province = review.NewHTTPProvince(*provURL, []byte(strings.TrimSpace(string(sec))))
	}
	s, err := review.Open(ctx, o)
	if err != nil {
		return err
	}
	defer s.Close()
	if *demo {
		if err := s.DemoSeed(ctx); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if *cert != "" {
		scheme = "https"
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	fmt.Fprintf(stdout, "huren-review listening on %s://%s\n", scheme, ln.Addr())
	logger.Info("listening", "addr", ln.Addr().String(), "tls", *cert != "")
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runDone := make(chan struct{})
	go func() { s.Run(rctx); close(runDone) }()
	errc := make(chan error, 1)
	go func() {
		if *cert != "" {
			errc <- srv.ServeTLS(ln, *cert, *key)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		cancel()
		<-runDone
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	err = srv.Shutdown(sctx)
	cancel()
	<-runDone
	return err
}
