// Package sync is the kiosk's uploader and the HTTP client of the review service's API (protocol v1,
// package sync/wire).
//
// Client speaks the protocol: signed requests, typed errors (*APIError, ErrOffline) and their
// classification (Retryable, Permanent, RetryAfter), clock-skew correction, an optional county CA and
// certificate pin. Worker drains the kiosk's outbox (an Outbox, met by *store.Store): it delivers each
// application exactly once in effect (every step is idempotent at the server), backs off with full jitter,
// marks refused applications dead, pulls state updates, fetches and caches the kiosk config and sends
// heartbeats.
//
// The package is named sync; inside it the standard library's sync is imported as gosync.
package sync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"huren/kiosk"
	"huren/sync/wire"
)

// Options configure a Client.
type Options struct {
	BaseURL   string // the review service, e.g. https://review.jinyun.example (without /api/v1)
	KioskID   string // e.g. K007
	Secret    []byte // the 32-byte HMAC key (wire.ParseSecret)
	CAFile    string // optional PEM file of the CA(s) to trust instead of the system roots (a county CA)
	PinSHA256 string // optional SHA-256 of the server's certificate (DER) or of its public key (SPKI), hex (colons allowed) or base64
	Version   string // kiosk software version, sent as User-Agent huren-kiosk/VERSION
	Clock     kiosk.Clock

	// Timeouts; zero means the default in parentheses.
	DialTimeout     time.Duration // TCP connect (10 s)
	TLSTimeout      time.Duration // TLS handshake (10 s)
	ResponseTimeout time.Duration // from the request written to the answer's headers (30 s)
	RequestTimeout  time.Duration // a whole request including the body (2 min)
}

// Client is the kiosk's HTTP client of the review API. It is safe for concurrent use.
type Client struct {
	base       string // scheme://host[/prefix]/api/v1
	kioskID    string
	secret     []byte
	clock      kiosk.Clock
	userAgent  string
	hc         *http.Client
	reqTimeout time.Duration
	offset     atomic.Int64 // nanoseconds added to the clock when signing (server time − local time)
}

// NewClient builds a client. It returns an error for a bad base URL, a secret of the wrong length, an
// unreadable CA file or a malformed pin.
func NewClient(o Options) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(o.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("new client: base url %q: must be http(s)://host", o.BaseURL)
	}
	if o.KioskID == "" {
		return nil, errors.New("new client: kiosk id is empty")
	}
	if len(o.Secret) != wire.SecretLen {
		return nil, fmt.Errorf("new client: %w", wire.ErrSecret)
	}
	if o.Clock == nil {
		o.Clock = kiosk.SystemClock{}
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.DialTimeout, 10*time.Second)
	def(&o.TLSTimeout, 10*time.Second)
	def(&o.ResponseTimeout, 30*time.Second)
	def(&o.RequestTimeout, 2*time.Minute)

	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("new client: read ca file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("new client: ca file %s holds no PEM certificate", o.CAFile)
		}
		tlsCfg.RootCAs = pool
	}
	if o.PinSHA256 != "" {
		pin, err := parsePin(o.PinSHA256)
		if err != nil {
			return nil, fmt.Errorf("new client: %w", err)
		}
		tlsCfg.VerifyConnection = func(cs tls.ConnectionState) error {
			for _, c := range cs.PeerCertificates {
				d, s := sha256.Sum256(c.Raw), sha256.Sum256(c.RawSubjectPublicKeyInfo)
				if bytes.Equal(d[:], pin) || bytes.Equal(s[:], pin) {
					return nil
				}
			}
			return ErrPin
		}
	}
	dialer := &net.Dialer{Timeout: o.DialTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tlsCfg,
		TLSHandshakeTimeout:   o.TLSTimeout,
		ResponseHeaderTimeout: o.ResponseTimeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   4,
		WriteBufferSize:       64 << 10,
		ReadBufferSize:        32 << 10,
		ForceAttemptHTTP2:     true,
	}
	return &Client{
		base:       u.String() + wire.BasePath,
		kioskID:    o.KioskID,
		secret:     append([]byte(nil), o.Secret...),
		clock:      o.Clock,
		userAgent:  "huren-kiosk/" + o.Version,
		hc:         &http.Client{Transport: tr, CheckRedirect: noRedirect},
		reqTimeout: o.RequestTimeout,
	}, nil
}

// noRedirect refuses redirects: a signature covers one path, and a redirect is a misconfiguration.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// parsePin accepts 64 hex characters (colons and spaces allowed, any case) or standard base64 of 32 bytes.
func parsePin(s string) ([]byte, error) {
	h := strings.NewReplacer(":", "", " ", "").Replace(strings.TrimSpace(s))
	if b, err := hex.DecodeString(h); err == nil && len(b) == sha256.Size {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s)); err == nil && len(b) == sha256.Size {
		return b, nil
	}
	return nil, fmt.Errorf("pin %q: want the SHA-256 as 64 hex characters or base64", s)
}

// Close releases idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// ClockOffset is the correction (server time − local time) the client currently applies when signing,
// learnt from the server's Date header after a 401.
func (c *Client) ClockOffset() time.Duration { return time.Duration(c.offset.Load()) }

func (c *Client) now() time.Time { return c.clock.Now().Add(time.Duration(c.offset.Load())) }

// maxAnswer bounds the answers we read (the config carries the calendar and the reason catalogue).
const maxAnswer = 8 << 20

// request is one API call.
type request struct {
	method, path string // path below /api/v1, with query
	body         []byte
	bodyHash     string // wire.BodyHash(body), computed once
	contentType  string
	signed       bool
}

// do performs r and decodes a 2xx JSON answer into out (nil: discard). After a 401 whose Date header shows
// a clock skew, it corrects the signing clock and retries once.
func (c *Client) do(ctx context.Context, r request, out any) error {
	if r.bodyHash == "" {
		r.bodyHash = wire.BodyHash(r.body)
	}
	for attempt := 0; ; attempt++ {
		err := c.once(ctx, r, out)
		var ae *APIError
		if attempt == 0 && r.signed && errors.As(err, &ae) && ae.Status == http.StatusUnauthorized &&
			!ae.ServerDate.IsZero() && c.learnSkew(ae.ServerDate) {
			continue
		}
		return err
	}
}

// skewThreshold is the clock difference above which a 401 is taken for a skew (Date has 1 s resolution and
// the request takes time; the server tolerates wire.MaxSkew).
const skewThreshold = 30 * time.Second

// learnSkew updates the offset from the server's Date and reports whether it changed enough to retry.
func (c *Client) learnSkew(server time.Time) bool {
	local := c.clock.Now()
	diff := server.Sub(c.now())
	if diff < skewThreshold && diff > -skewThreshold {
		return false
	}
	c.offset.Store(int64(server.Sub(local)))
	return true
}

func (c *Client) once(ctx context.Context, r request, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.reqTimeout)
	defer cancel()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.base+r.path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	if r.body != nil {
		b := r.body
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	if r.signed {
		wire.SignRequest(req, c.kioskID, c.secret, r.bodyHash, c.now())
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctxErr := context.Cause(ctx); ctxErr != nil && !errors.Is(ctxErr, context.DeadlineExceeded) {
			return fmt.Errorf("%s %s: %w", r.method, r.path, ctxErr)
		}
		return &offlineError{op: r.method + " " + r.path, err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return fmt.Errorf("%s %s: %w", r.method, r.path, apiErrorFrom(resp.StatusCode, resp.Header, b, c.now()))
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		if ctxErr := context.Cause(ctx); ctxErr != nil && !errors.Is(ctxErr, context.DeadlineExceeded) {
			return fmt.Errorf("%s %s: %w", r.method, r.path, ctxErr)
		}
		return &offlineError{op: r.method + " " + r.path + ": read answer", err: err}
	}
	if len(b) > maxAnswer {
		return fmt.Errorf("%s %s: answer larger than %d bytes", r.method, r.path, maxAnswer)
	}
	if out == nil {
		return nil
	}
	if err := jsonUnmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", r.method, r.path, err)
	}
	return nil
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func (c *Client) jsonRequest(method, path string, v any) (request, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return request{}, fmt.Errorf("encode %s %s: %w", method, path, err)
	}
	return request{method: method, path: path, body: b, contentType: "application/json", signed: true}, nil
}

// PutManifest sends an application's manifest (PUT /applications/{receipt}) and returns the server's state
// and the SHA-256 of the materials it still needs. A different manifest for a receipt the server already
// holds answers 409 (a permanent *APIError). Errors: *APIError, ErrOffline (wrapped), context errors.
func (c *Client) PutManifest(ctx context.Context, m wire.Manifest) (wire.ManifestResponse, error) {
	var out wire.ManifestResponse
	r, err := c.jsonRequest(http.MethodPut, "/applications/"+url.PathEscape(m.Receipt), m)
	if err != nil {
		return out, err
	}
	if len(r.body) > wire.MaxManifestBytes {
		return out, fmt.Errorf("put manifest: %d bytes exceeds %d: %w", len(r.body), wire.MaxManifestBytes, ErrBadMaterial)
	}
	err = c.do(ctx, r, &out)
	return out, err
}

// PutMaterial uploads one material's bytes (PUT /applications/{receipt}/materials/{sha256}). It checks the
// bytes against m.SHA256 first (hashing before sending, as the signature needs) and returns an error wrapping
// ErrBadMaterial when they differ or exceed wire.MaxMaterialBytes. Errors: *APIError, ErrOffline (wrapped).
func (c *Client) PutMaterial(ctx context.Context, r kiosk.Receipt, m kiosk.Material) error {
	if len(m.Data) > wire.MaxMaterialBytes {
		return fmt.Errorf("put material: %d bytes: %w", len(m.Data), ErrBadMaterial)
	}
	sum := wire.BodyHash(m.Data)
	if m.SHA256 != "" && !strings.EqualFold(m.SHA256, sum) {
		return fmt.Errorf("put material %s page %d: hash %s, recorded %s: %w", m.Kind, m.Page, sum, m.SHA256, ErrBadMaterial)
	}
	return c.putMaterial(ctx, r, m, sum)
}

// putMaterial uploads m whose bytes hash to sum (already checked).
func (c *Client) putMaterial(ctx context.Context, r kiosk.Receipt, m kiosk.Material, sum string) error {
	ct := contentType(m)
	return c.do(ctx, request{
		method: http.MethodPut, path: "/applications/" + url.PathEscape(r.String()) + "/materials/" + sum,
		body: m.Data, bodyHash: sum, contentType: ct, signed: true,
	}, nil)
}

// Submit asks the server to accept the application (POST /applications/{receipt}/submit) once all its
// materials are there; it is idempotent. Errors: *APIError (409 while materials are missing), ErrOffline.
func (c *Client) Submit(ctx context.Context, r kiosk.Receipt) (wire.SubmitResponse, error) {
	var out wire.SubmitResponse
	err := c.do(ctx, request{method: http.MethodPost, path: "/applications/" + url.PathEscape(r.String()) + "/submit",
		body: []byte{}, signed: true}, &out)
	return out, err
}

// Deliver runs protocol v1 for one application: manifest PUT, upload of only the materials the server lists
// as missing (so an interrupted delivery resumes where it stopped), submit. Every step is idempotent, so
// calling it again after any failure is safe. Errors: as PutManifest, PutMaterial and Submit, plus
// ErrUnknownMissing when the server asks for a hash the application does not have.
func (c *Client) Deliver(ctx context.Context, a kiosk.Application) (wire.SubmitResponse, error) {
	m, err := BuildManifest(a, c.kioskID)
	if err != nil {
		return wire.SubmitResponse{}, err
	}
	mr, err := c.PutManifest(ctx, m)
	if err != nil {
		return wire.SubmitResponse{}, err
	}
	// BuildManifest checked every material against its bytes; m.Materials[i] is a.Materials[i].
	sent := make(map[string]bool, len(mr.Missing))
	for _, h := range mr.Missing {
		h = strings.ToLower(h)
		if sent[h] {
			continue
		}
		i := slices.IndexFunc(m.Materials, func(x wire.MaterialRef) bool { return x.SHA256 == h })
		if i < 0 {
			return wire.SubmitResponse{}, fmt.Errorf("deliver %s: %s: %w", a.Receipt, h, ErrUnknownMissing)
		}
		if err := c.putMaterial(ctx, a.Receipt, a.Materials[i], h); err != nil {
			return wire.SubmitResponse{}, err
		}
		sent[h] = true
	}
	return c.Submit(ctx, a.Receipt)
}

// Precheck asks for the provincial registration record of an ID number (POST /precheck). The number is sent
// only in the signed body, never logged. Errors: *APIError, ErrOffline (wrapped).
func (c *Client) Precheck(ctx context.Context, idNumber string) (kiosk.Precheck, error) {
	r, err := c.jsonRequest(http.MethodPost, "/precheck", wire.PrecheckRequest{IDNumber: idNumber})
	if err != nil {
		return kiosk.Precheck{}, err
	}
	var p wire.Precheck
	if err := c.do(ctx, r, &p); err != nil {
		return kiosk.Precheck{}, err
	}
	out := kiosk.Precheck{Known: p.Known, HasPermit: p.HasPermit, PermitCity: p.PermitCity, Months: p.Months}
	if p.RegisteredSince != "" {
		t, err := time.ParseInLocation(dateLayout, p.RegisteredSince, kiosk.Shanghai)
		if err != nil {
			return kiosk.Precheck{}, fmt.Errorf("precheck: registered_since %q: %w", p.RegisteredSince, err)
		}
		out.RegisteredSince = t
	}
	return out, nil
}

// Updates returns the state changes of this kiosk's applications after cursor
// (GET /kiosks/{id}/updates?after=). Errors: *APIError, ErrOffline (wrapped).
func (c *Client) Updates(ctx context.Context, after int64) (wire.Updates, error) {
	var out wire.Updates
	err := c.do(ctx, request{method: http.MethodGet,
		path: fmt.Sprintf("/kiosks/%s/updates?after=%d", url.PathEscape(c.kioskID), after), signed: true}, &out)
	return out, err
}

// Config fetches the kiosk's configuration (GET /kiosks/{id}/config). Errors: *APIError, ErrOffline.
func (c *Client) Config(ctx context.Context) (wire.KioskConfig, error) {
	var out wire.KioskConfig
	err := c.do(ctx, request{method: http.MethodGet, path: "/kiosks/" + url.PathEscape(c.kioskID) + "/config",
		signed: true}, &out)
	return out, err
}

// Heartbeat reports the kiosk's version, queue and devices (POST /kiosks/{id}/heartbeat).
// Errors: *APIError, ErrOffline (wrapped).
func (c *Client) Heartbeat(ctx context.Context, hb wire.Heartbeat) error {
	r, err := c.jsonRequest(http.MethodPost, "/kiosks/"+url.PathEscape(c.kioskID)+"/heartbeat", hb)
	if err != nil {
		return err
	}
	return c.do(ctx, r, nil)
}

// Status asks the public status of a receipt with its token (GET /status/{receipt}?t=), as the kiosk's
// status-check screen does; no kiosk signature. Errors: ErrNotFound (unknown receipt or wrong token),
// ErrOffline (wrapped: show the offline message), *APIError.
func (c *Client) Status(ctx context.Context, r kiosk.Receipt, token string) (wire.Status, error) {
	var out wire.Status
	err := c.do(ctx, request{method: http.MethodGet,
		path: "/status/" + url.PathEscape(r.String()) + "?t=" + url.QueryEscape(token)}, &out)
	return out, err
}
