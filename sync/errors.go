package sync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"huren/sync/wire"
)

// Errors the client wraps; classify them with errors.Is.
var (
	// ErrOffline is wrapped when the review service cannot be reached: connection refused or reset, DNS,
	// timeouts, a truncated answer, or a gateway (502/503/504) saying the service behind it is down.
	ErrOffline = errors.New("review service unreachable")
	// ErrNotFound is matched by a 404 answer (an unknown receipt or a wrong status token).
	ErrNotFound = errors.New("not found")
	// ErrPin is wrapped when the server's certificate does not match the configured SHA-256 pin.
	ErrPin = errors.New("server certificate does not match the pinned SHA-256")
	// ErrBadMaterial is returned when a material's bytes do not match its recorded SHA-256 or size, or exceed
	// the protocol's limit; such an application cannot be delivered as it stands.
	ErrBadMaterial = errors.New("material bytes do not match the application")
	// ErrUnknownMissing is returned when the server asks for a material the application does not list.
	ErrUnknownMissing = errors.New("server asks for a material the application does not have")
)

// APIError is an error answer of the review service: the HTTP status and the protocol's error body.
type APIError struct {
	Status     int
	Code       string // wire.Code…; empty when the body was not a protocol error body
	Message    string // the server's message (shown to staff for dead rows)
	RetryAfter time.Duration
	ServerDate time.Time // the answer's Date header, zero if absent
}

// Error returns "HTTP 409 conflict: message".
func (e *APIError) Error() string {
	s := "HTTP " + strconv.Itoa(e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Is matches ErrOffline for gateway answers (502, 503, 504) and ErrNotFound for 404.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrOffline:
		return e.Status == http.StatusBadGateway || e.Status == http.StatusServiceUnavailable ||
			e.Status == http.StatusGatewayTimeout
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	}
	return false
}

// Permanent reports whether retrying the same request cannot succeed: the server refused its content
// (400, 409, 413 and other 4xx except 401, 403, 408, 429), or the local application is unusable
// (ErrBadMaterial, ErrUnknownMissing). Such rows go dead for staff to look at.
func Permanent(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrBadMaterial) || errors.Is(err, ErrUnknownMissing) {
		return true
	}
	var ae *APIError
	if errors.As(err, &ae) {
		switch ae.Status {
		case http.StatusUnauthorized, http.StatusForbidden, http.StatusRequestTimeout, http.StatusTooManyRequests:
			return false // credentials, clock or load: fixable without touching the application
		}
		return ae.Status >= 400 && ae.Status < 500
	}
	return false
}

// Retryable reports whether err is worth retrying later: the service was unreachable or timed out, answered
// 5xx or 429, or refused credentials (401/403: a staff fix of the kiosk secret or clock makes it work).
// Context cancellation is neither retryable nor permanent.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	return !Permanent(err)
}

// RetryAfter returns the server's Retry-After of err, or 0.
func RetryAfter(err error) time.Duration {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.RetryAfter
	}
	return 0
}

// parseRetryAfter reads a Retry-After header: delta seconds or an HTTP date (relative to now). Negative,
// absurd or unparsable values give 0; values are capped at one hour.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > 3600 {
			n = 3600
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	if d < 0 {
		return 0
	}
	if d > time.Hour {
		d = time.Hour
	}
	return d
}

// offlineError wraps a transport failure with ErrOffline, keeping the cause for errors.Is/As.
type offlineError struct {
	op  string
	err error
}

func (e *offlineError) Error() string   { return fmt.Sprintf("%s: %v: %v", e.op, ErrOffline, e.err) }
func (e *offlineError) Unwrap() []error { return []error{ErrOffline, e.err} }

// apiErrorFrom builds an APIError from an answer's status, headers and (limited) body.
func apiErrorFrom(status int, h http.Header, body []byte, now time.Time) *APIError {
	e := &APIError{Status: status}
	var eb wire.ErrorBody
	if err := jsonUnmarshal(body, &eb); err == nil && eb.Error.Code != "" {
		e.Code = eb.Error.Code
		e.Message = eb.Error.Message
	} else {
		e.Message = strings.TrimSpace(truncateUTF8(string(body), 200))
	}
	e.RetryAfter = parseRetryAfter(h.Get("Retry-After"), now)
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		e.ServerDate = d
	}
	return e
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
