package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"huren/kiosk/idcard"
	"huren/sync/wire"
)

func (s *Service) routes() http.Handler {
	mux := http.NewServeMux()
	b := wire.BasePath
	mux.Handle("PUT "+b+"/applications/{receipt}", s.kioskAuth(wire.MaxManifestBytes, s.hManifest))
	mux.Handle("PUT "+b+"/applications/{receipt}/materials/{sha}", s.kioskAuth(wire.MaxMaterialBytes, s.hMaterial))
	mux.Handle("POST "+b+"/applications/{receipt}/submit", s.kioskAuth(wire.MaxSmallBody, s.hSubmit))
	mux.Handle("POST "+b+"/precheck", s.kioskAuth(wire.MaxSmallBody, s.hPrecheck))
	mux.Handle("GET "+b+"/kiosks/{id}/updates", s.kioskAuth(0, s.hUpdates))
	mux.Handle("GET "+b+"/kiosks/{id}/config", s.kioskAuth(0, s.hConfig))
	mux.Handle("POST "+b+"/kiosks/{id}/heartbeat", s.kioskAuth(wire.MaxSmallBody, s.hHeartbeat))
	mux.HandleFunc("GET "+b+"/status/{receipt}", s.hStatusJSON)
	mux.HandleFunc("GET /s/{receipt}", s.hStatusPage)
	mux.HandleFunc(b+"/", func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, &apiError{http.StatusNotFound, wire.CodeNotFound, "no such endpoint"})
	})
	mux.HandleFunc("GET /healthz", s.hHealth)
	mux.Handle("GET /metrics", s.metrics.handler())
	s.web.register(mux)
	return s.metrics.instrument(mux)
}

// writeJSON writes v with status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"encode"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(b)
}

// writeErr writes the wire error body for err (internal errors are not detailed).
func writeErr(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		if errors.Is(err, ErrNotFound) {
			ae = errNoApp
		} else {
			ae = &apiError{http.StatusInternalServerError, wire.CodeInternal, "internal error 服务器内部错误"}
		}
	}
	writeJSON(w, ae.status, wire.ErrorBody{Error: wire.ErrorDetail{Code: ae.code, Message: ae.msg}})
}

func unauthorized(msg string) error {
	return &apiError{http.StatusUnauthorized, wire.CodeUnauthorized, msg}
}

// kioskHandler serves an authenticated kiosk request whose body has been read and verified.
type kioskHandler func(ctx context.Context, kioskID string, body []byte, r *http.Request) (any, error)

// kioskAuth authenticates a kiosk request per protocol v1 (HMAC-SHA256 over method, path and query,
// timestamp, nonce and body hash): 401 for missing headers, an unknown or disabled kiosk, a bad signature, a
// clock skew over 300 s, or a nonce seen in the last 10 minutes. Bodies over limit get 413.
func (s *Service) kioskAuth(limit int64, h kioskHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		c, err := wire.ParseCredentials(r.Header)
		if err != nil {
			writeErr(w, unauthorized("missing or malformed authentication headers"))
			return
		}
		secret, err := s.kioskSecret(ctx, c.Kiosk)
		if errors.Is(err, ErrNotFound) {
			writeErr(w, unauthorized("unknown kiosk"))
			return
		}
		if err != nil {
			s.log.Error("kiosk secret", "kiosk", c.Kiosk, "err", err)
			writeErr(w, err)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max(limit, 1)))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				writeErr(w, &apiError{http.StatusRequestEntityTooLarge, wire.CodeTooLarge, "body larger than " + strconv.FormatInt(limit, 10) + " bytes"})
				return
			}
			writeErr(w, errInvalid("read body"))
			return
		}
		if limit == 0 && len(body) > 0 {
			writeErr(w, &apiError{http.StatusRequestEntityTooLarge, wire.CodeTooLarge, "this request takes no body"})
			return
		}
		now := s.now()
		if err := wire.Verify(c, secret, r.Method, wire.PathAndQuery(r), wire.BodyHash(body), now); err != nil {
			if errors.Is(err, wire.ErrSkew) {
				writeErr(w, unauthorized("clock skew over 300 s 终端时钟偏差过大"))
			} else {
				writeErr(w, unauthorized("bad signature"))
			}
			return
		}
		fresh, err := s.useNonce(ctx, c.Kiosk, c.Nonce, now)
		if err != nil {
			s.log.Error("nonce", "kiosk", c.Kiosk, "err", err)
			writeErr(w, err)
			return
		}
		if !fresh {
			writeErr(w, unauthorized("nonce replayed"))
			return
		}
		if id := r.PathValue("id"); id != "" && id != c.Kiosk {
			writeErr(w, errForbidden)
			return
		}
		v, err := h(ctx, c.Kiosk, body, r)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) {
				s.log.Error("kiosk api", "route", r.Pattern, "kiosk", c.Kiosk, "err", err)
			}
			writeErr(w, err)
			return
		}
		if v == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeJSON(w, http.StatusOK, v)
	})
}

func (s *Service) hManifest(ctx context.Context, kioskID string, body []byte, r *http.Request) (any, error) {
	var m wire.Manifest
	if err := decodeStrictBytes(body, &m); err != nil {
		return nil, errInvalid("manifest: %v", err)
	}
	return s.putManifest(ctx, kioskID, r.PathValue("receipt"), m)
}

func (s *Service) hMaterial(ctx context.Context, kioskID string, body []byte, r *http.Request) (any, error) {
	sum := r.PathValue("sha")
	if !validSHA(sum) {
		return nil, errInvalid("sha256 must be 64 lower-case hex characters")
	}
	ct := r.Header.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(strings.ToLower(ct))
	if ct != wire.ContentJPEG && ct != wire.ContentPDF {
		return nil, &apiError{http.StatusUnsupportedMediaType, wire.CodeInvalid, "content type must be image/jpeg or application/pdf"}
	}
	return s.putMaterial(ctx, kioskID, r.PathValue("receipt"), sum, ct, body)
}

func (s *Service) hSubmit(ctx context.Context, kioskID string, body []byte, r *http.Request) (any, error) {
	if len(strings.TrimSpace(string(body))) > 0 && strings.TrimSpace(string(body)) != "{}" {
		return nil, errInvalid("submit takes no body")
	}
	return s.submit(ctx, kioskID, r.PathValue("receipt"))
}

func (s *Service) hPrecheck(ctx context.Context, kioskID string, body []byte, r *http.Request) (any, error) {
	var req wire.PrecheckRequest
	if err := decodeStrictBytes(body, &req); err != nil {
		return nil, errInvalid("precheck: %v", err)
	}
	id := idcard.Normalize(req.IDNumber)
	if len(id) != 18 {
		return nil, errInvalid("id_number must have 18 characters")
	}
	p, err := s.registry.Lookup(ctx, id)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (s *Service) hUpdates(ctx context.Context, kioskID string, body []byte, r *http.Request) (any, error) {
	after := int64(0)
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, errInvalid("after must be a non-negative integer")
		}
		after = n
	}
	return s.updates(ctx, kioskID, after)
}

func (s *Service) hConfig(ctx context.Context, kioskID string, body []byte, r *http.Request) (any, error) {
	return s.kioskConfig(ctx)
}

// kioskConfig builds the configuration every kiosk fetches.
func (s *Service) kioskConfig(ctx context.Context) (wire.KioskConfig, error) {
	cfg := wire.KioskConfig{StaffPINs: []wire.StaffPIN{}, Settings: map[string]string{}, RulesVersion: eligibilityRulesVersion(), NoticeVersion: s.o.NoticeVersion}
	rows, err := s.db.query(ctx, s.db.r, `SELECT staff, hash FROM staff_pins ORDER BY staff`)
	if err != nil {
		return cfg, err
	}
	for rows.Next() {
		var p wire.StaffPIN
		if err := rows.Scan(&p.Staff, &p.Hash); err != nil {
			rows.Close()
			return cfg, err
		}
		cfg.StaffPINs = append(cfg.StaffPINs, p)
	}
	rows.Close()
	rows, err = s.db.query(ctx, s.db.r, `SELECT key, value FROM settings ORDER BY key`)
	if err != nil {
		return cfg, err
	}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			rows.Close()
			return cfg, err
		}
		cfg.Settings[k] = v
	}
	rows.Close()
	if _, ok := cfg.Settings["public_url"]; !ok {
		cfg.Settings["public_url"] = s.o.PublicURL
	}
	if _, ok := cfg.Settings["hotline"]; !ok {
		cfg.Settings["hotline"] = "12345"
	}
	cal, err := s.cal.Marshal()
	if err != nil {
		return cfg, err
	}
	cfg.Calendar = cal
	cfg.Reasons = reasonCatalogue()
	cfg.Version = sha256Hex(string(mustJSON(cfg)))[:16]
	return cfg, nil
}

func (s *Service) hHeartbeat(ctx context.Context, kioskID string, body []byte, r *http.Request) (any, error) {
	var hb wire.Heartbeat
	if err := decodeStrictBytes(body, &hb); err != nil {
		return nil, errInvalid("heartbeat: %v", err)
	}
	if len(hb.Version) > 64 || len(hb.Devices) > 32 {
		return nil, errInvalid("heartbeat: field too long")
	}
	dev := hb.Devices
	if dev == nil {
		dev = []wire.DeviceHealth{}
	}
	_, err := s.db.exec(ctx, s.db.w, `UPDATE kiosks SET last_seen = ?, version = ?, queue_depth = ?, dead = ?, oldest_unsent = ?, devices = ? WHERE id = ?`,
		tm(s.now()), hb.Version, hb.QueueDepth, hb.Dead, hb.OldestUnsentSecs, string(mustJSON(dev)), kioskID)
	if err != nil {
		return nil, err
	}
	return nil, nil
}

func (s *Service) hHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.db.r.PingContext(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "db unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// clientAddr is the address the rate limit counts (the TCP peer; proxies are not trusted).
func clientAddr(r *http.Request) string {
	h, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return h
}

func (s *Service) lookupStatus(r *http.Request) (wire.Status, bool) {
	st, err := s.Status(r.Context(), r.PathValue("receipt"), r.URL.Query().Get("t"))
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			s.log.Error("status", "err", err)
		}
		return st, false
	}
	return st, true
}

func (s *Service) hStatusJSON(w http.ResponseWriter, r *http.Request) {
	if !s.limiter.allow(clientAddr(r), time.Now()) {
		w.Header().Set("Retry-After", "1")
		writeErr(w, &apiError{http.StatusTooManyRequests, wire.CodeRateLimited, "too many requests 查询过于频繁，请稍后再试"})
		return
	}
	b, err := s.statusJSON(r.Context(), r.PathValue("receipt"), r.URL.Query().Get("t"))
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			s.log.Error("status", "err", err)
		}
		writeErr(w, errNoApp)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.Write(b)
}

func (s *Service) hStatusPage(w http.ResponseWriter, r *http.Request) {
	setPageHeaders(w, r)
	if !s.limiter.allow(clientAddr(r), time.Now()) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		s.web.t.ExecuteTemplate(w, "status.html", statusPageData{Limited: true})
		return
	}
	st, ok := s.lookupStatus(r)
	data := statusPageData{Found: ok, S: st}
	code := http.StatusOK
	if !ok {
		code = http.StatusNotFound
	}
	w.WriteHeader(code)
	if err := s.web.t.ExecuteTemplate(w, "status.html", data); err != nil {
		s.log.Error("status page", "err", err)
	}
}

type statusPageData struct {
	Found, Limited bool
	S              wire.Status
}

// setPageHeaders sets the security headers of every HTML page.
func setPageHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

// useNonce records a kiosk's nonce and reports false when it was used within wire.NonceTTL. Nonces live in
// the store so that several instances sharing PostgreSQL refuse a replay sent to another instance; an
// in-memory cache answers repeats first.
func (s *Service) useNonce(ctx context.Context, kioskID, nonce string, now time.Time) (bool, error) {
	if !s.nonces.use(kioskID, nonce, now, wire.NonceTTL) {
		return false, nil
	}
	res, err := s.db.exec(ctx, s.db.w, `INSERT INTO nonces (kiosk_id, nonce, at) VALUES (?, ?, ?)
		ON CONFLICT (kiosk_id, nonce) DO UPDATE SET at = excluded.at WHERE nonces.at < ?`,
		kioskID, nonce, tm(now), tm(now.Add(-wire.NonceTTL)))
	if err != nil {
		return false, fmt.Errorf("nonce: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("nonce: %w", err)
	}
	return n == 1, nil
}

// purgeNonces forgets nonces older than wire.NonceTTL.
func (s *Service) purgeNonces(ctx context.Context) error {
	_, err := s.db.exec(ctx, s.db.w, `DELETE FROM nonces WHERE at < ?`, tm(s.now().Add(-wire.NonceTTL)))
	return err
}
