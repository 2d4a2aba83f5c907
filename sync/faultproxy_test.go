package sync

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"huren/sync/wire"
)

// fault is what the proxy does to one request.
type fault int

const (
	faultNone        fault = iota
	faultResetBefore       // reset the client's connection before forwarding
	faultAbortUpload       // read part of the request body, then drop the connection
	fault500
	fault503
	fault429
	faultResetAfter // forward, let the server act, then reset instead of answering
	faultTruncate   // forward, then send only part of the answer body and drop the connection
	faultDelay      // forward after a short delay (not a failure)
	nFaults
)

var faultNames = [...]string{"none", "reset-before", "abort-upload", "500", "503", "429", "reset-after", "truncate", "delay"}

// faultProxy is an HTTP proxy on loopback between the kiosk and the review service that injects faults at
// random with total probability rate (delays come on top). The upstream can be switched (a restarted
// service) or be down (the proxy then answers 502 or resets, as a real gateway would).
type faultProxy struct {
	srv      *httptest.Server
	upstream atomic.Pointer[string]
	tr       *http.Transport
	rate     float64

	mu     gosync.Mutex
	rng    *rand.Rand
	counts [nFaults]int
	// forwarded counts requests the upstream answered, by "METHOD /route-kind".
	forwarded map[string]int
}

func newFaultProxy(t testing.TB, upstream string, rate float64, seed uint64) *faultProxy {
	p := &faultProxy{rate: rate, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		forwarded: map[string]int{},
		tr:        &http.Transport{MaxIdleConnsPerHost: 8, ResponseHeaderTimeout: time.Minute}}
	p.setUpstream(upstream)
	p.srv = httptest.NewServer(p)
	t.Cleanup(func() { p.srv.Close(); p.tr.CloseIdleConnections() })
	return p
}

func (p *faultProxy) URL() string { return p.srv.URL }

// setUpstream points the proxy at a (restarted) service; "" means down.
func (p *faultProxy) setUpstream(u string) {
	p.upstream.Store(&u)
	p.tr.CloseIdleConnections()
}

func (p *faultProxy) pick() (fault, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	x := p.rng.Float64()
	f := faultNone
	if x < p.rate {
		f = fault(1 + int(x/p.rate*float64(faultTruncate))) // uniform over the 7 failure kinds
		if f > faultTruncate {
			f = faultTruncate
		}
	} else if p.rng.Float64() < 0.1 {
		f = faultDelay
	}
	p.counts[f]++
	return f, time.Duration(p.rng.IntN(20)) * time.Millisecond
}

func (p *faultProxy) stats() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var sb strings.Builder
	total := 0
	for i, n := range p.counts {
		total += n
		fmt.Fprintf(&sb, "%s=%d ", faultNames[i], n)
	}
	fmt.Fprintf(&sb, "total=%d", total)
	return sb.String()
}

func (p *faultProxy) forwardedCount(key string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.forwarded[key]
}

// reset closes the client's connection with a TCP RST.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	c, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

func routeKind(r *http.Request) string {
	p := strings.TrimPrefix(r.URL.Path, wire.BasePath)
	switch {
	case strings.Contains(p, "/materials/"):
		return r.Method + " material"
	case strings.HasSuffix(p, "/submit"):
		return r.Method + " submit"
	case strings.HasPrefix(p, "/applications/"):
		return r.Method + " manifest"
	}
	return r.Method + " " + p
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, delay := p.pick()
	switch f {
	case faultResetBefore:
		reset(w)
		return
	case faultAbortUpload:
		io.CopyN(io.Discard, r.Body, r.ContentLength/2)
		reset(w)
		return
	case fault500, fault503, fault429:
		io.Copy(io.Discard, r.Body)
		status := map[fault]int{fault500: 500, fault503: 503, fault429: 429}[f]
		if f != fault500 {
			w.Header().Set("Retry-After", fmt.Sprint(1+delay/time.Millisecond%5))
		}
		writeErr(w, status, wire.CodeInternal, "injected fault")
		return
	case faultDelay:
		time.Sleep(delay)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	up := *p.upstream.Load()
	if up == "" {
		if delay%2 == 0 {
			reset(w)
		} else {
			writeErr(w, http.StatusBadGateway, wire.CodeInternal, "upstream down")
		}
		return
	}
	out, _ := http.NewRequestWithContext(r.Context(), r.Method, up+r.URL.RequestURI(), bytes.NewReader(body))
	out.Header = r.Header.Clone()
	resp, err := p.tr.RoundTrip(out)
	if err != nil {
		writeErr(w, http.StatusBadGateway, wire.CodeInternal, "upstream: "+err.Error())
		return
	}
	rb, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		writeErr(w, http.StatusBadGateway, wire.CodeInternal, "upstream body: "+err.Error())
		return
	}
	if resp.StatusCode < 300 {
		p.mu.Lock()
		p.forwarded[routeKind(r)]++
		p.mu.Unlock()
	}
	switch f {
	case faultResetAfter:
		reset(w)
		return
	case faultTruncate:
		if len(rb) < 2 { // nothing to truncate (204): drop the connection instead
			reset(w)
			return
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(rb)))
		w.WriteHeader(resp.StatusCode)
		w.Write(rb[:len(rb)/2])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(rb)
}
