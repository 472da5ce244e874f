package web

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus metrics, in a registry of its own
// so that two servers in one process (as in tests) do not collide.
type metrics struct {
	reg *prometheus.Registry

	received      prometheus.Counter
	lastReceived  prometheus.Gauge
	clients       prometheus.Gauge
	connections   prometheus.Counter
	reconnects    prometheus.Counter
	feedConnects  prometheus.Counter
	feedConnected prometheus.Gauge
	clientsDrop   prometheus.Counter
	tracksDropped prometheus.Counter
	coverRequests *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		received: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "trackfeed_web_messages_received_total",
			Help: "Tracks received from the feed.",
		}),
		lastReceived: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "trackfeed_web_last_message_received_timestamp_seconds",
			Help: "When the last track arrived from the feed, in seconds since the Unix epoch; 0 before the first. Alert on its age to learn that the feed is down.",
		}),
		clients: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "trackfeed_web_sse_clients",
			Help: "Pages connected to the event stream (/events) now.",
		}),
		connections: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "trackfeed_web_sse_connections_total",
			Help: "Event streams opened, reconnects included.",
		}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "trackfeed_web_sse_reconnects_total",
			Help: "Event streams opened by a browser reconnecting (it sent Last-Event-ID): after a network error, a server restart, or being dropped for falling behind.",
		}),
		feedConnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "trackfeed_web_feed_connects_total",
			Help: "Connections made to the feed's publishers: 1 per endpoint at start, one more for every reconnect (a publisher restart, a network failure).",
		}),
		feedConnected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "trackfeed_web_feed_connected",
			Help: "1 while connected to at least one of the feed's publishers, 0 before the first connection and while every one is lost.",
		}),
		clientsDrop: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "trackfeed_web_sse_clients_dropped_total",
			Help: "Event streams ended because the page fell too far behind (its buffer was full).",
		}),
		tracksDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "trackfeed_web_sse_tracks_dropped_total",
			Help: "Tracks that a slow page did not get: the one that found its buffer full, and those still waiting when its stream failed to write.",
		}),
		coverRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trackfeed_web_cover_requests_total",
			Help: "Requests for cover art (/cover/ID), by result: hit (from the server's cache), fetched (from the publisher's query socket), not_found, error (the query socket did not answer).",
		}, []string{"result"}),
	}
	for _, r := range []string{"hit", "fetched", "not_found", "error"} {
		m.coverRequests.WithLabelValues(r)
	}
	m.reg.MustRegister(m.received, m.lastReceived, m.clients, m.connections, m.reconnects, m.feedConnects, m.feedConnected, m.clientsDrop, m.tracksDropped,
		m.coverRequests,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// coverCache adds the cache's size to the metrics.
func (m *metrics) coverCache(cc *coverCache) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "trackfeed_web_cover_cache_bytes",
			Help: "Bytes of cover art the server keeps in memory (Options.CoverCache bounds them: 32 MiB unless told otherwise).",
		}, func() float64 { _, n := cc.stats(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "trackfeed_web_cover_cache_pictures",
			Help: "Pictures of cover art the server keeps in memory.",
		}, func() float64 { n, _ := cc.stats(); return float64(n) }),
	)
}
