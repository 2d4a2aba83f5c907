package review

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics live in a registry of their own so several services (tests) do not collide.
type metrics struct {
	reg           *prometheus.Registry
	requests      *prometheus.CounterVec
	intake        *prometheus.CounterVec
	decisions     *prometheus.CounterVec
	outboxSent    *prometheus.CounterVec
	outboxFail    *prometheus.CounterVec
	queue         prometheus.Gauge
	overdue       prometheus.Gauge
	outboxLag     prometheus.Gauge
	outboxPending prometheus.Gauge
}

func newMetrics(s *Service) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "huren_review_http_requests_total", Help: "HTTP requests by route and status code."}, []string{"route", "code"})
	m.intake = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "huren_review_intake_total", Help: "Accepted intake operations (manifest, material, submit)."}, []string{"op"})
	m.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "huren_review_decisions_total", Help: "Review decisions."}, []string{"decision"})
	m.outboxSent = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "huren_review_outbox_sent_total", Help: "Outbox items delivered."}, []string{"kind"})
	m.outboxFail = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "huren_review_outbox_failures_total", Help: "Outbox delivery failures."}, []string{"kind"})
	m.queue = prometheus.NewGauge(prometheus.GaugeOpts{Name: "huren_review_queue_depth", Help: "Accepted applications awaiting a decision."})
	m.overdue = prometheus.NewGauge(prometheus.GaugeOpts{Name: "huren_review_overdue", Help: "Open applications past their due time."})
	m.outboxLag = prometheus.NewGauge(prometheus.GaugeOpts{Name: "huren_review_outbox_lag_seconds", Help: "Age of the oldest undelivered outbox item."})
	m.outboxPending = prometheus.NewGauge(prometheus.GaugeOpts{Name: "huren_review_outbox_pending", Help: "Undelivered outbox items."})
	m.reg.MustRegister(m.requests, m.intake, m.decisions, m.outboxSent, m.outboxFail, m.queue, m.overdue, m.outboxLag, m.outboxPending,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// statusRecorder remembers the status code written.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(c int) {
	if r.code == 0 {
		r.code = c
	}
	r.ResponseWriter.WriteHeader(c)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// instrument counts requests by the mux pattern that served them.
func (m *metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		if rec.code == 0 {
			rec.code = http.StatusOK
		}
		m.requests.WithLabelValues(route, strconv.Itoa(rec.code)).Inc()
	})
}
