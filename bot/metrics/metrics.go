// Package metrics exposes partybot's Prometheus metrics: callbacks by kind
// and result with their latency, dedupe hits, sends by result, job runs,
// their duration and last success, Redis errors, and the outbox's queue.
// The adapters report through small interfaces; this package implements them.
package metrics

import (
	"context"
	"errors"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
)

// Metrics holds the collectors, on a registry of its own (no globals).
type Metrics struct {
	reg            *prometheus.Registry
	callbacks      *prometheus.CounterVec
	latency        *prometheus.HistogramVec
	dedupeHits     prometheus.Counter
	sends          *prometheus.CounterVec
	pauses         *prometheus.CounterVec
	jobRuns        *prometheus.CounterVec
	jobDuration    *prometheus.HistogramVec
	jobLastSuccess *jobSuccessCollector
	redisErrors    prometheus.Counter
}

// New registers every metric, and the Go runtime's.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		callbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "partybot_callbacks_total", Help: "WeCom callbacks by message kind and result (ok, late, error, rejected).",
		}, []string{"kind", "result"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "partybot_callback_seconds", Help: "Time to answer a callback, by message kind.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"kind"}),
		dedupeHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "partybot_dedupe_hits_total", Help: "Retried deliveries answered from the stored reply (no second effect).",
		}),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "partybot_sends_total", Help: "Outbound sends by result: ok, or the WeCom errcode, or error (network).",
		}, []string{"result"}),
		pauses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "partybot_send_pauses_total",
			Help: "Sends paused by a WeCom configuration error, by channel (all; chat: app chats, target the chat id; robot: target the branch) and errcode.",
		}, []string{"channel", "target", "result"}),
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "partybot_job_runs_total", Help: "Job runs by job and result (ok, error).",
		}, []string{"job", "result"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "partybot_job_seconds", Help: "Time a job run took to compute its messages.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 8),
		}, []string{"job"}),
		jobLastSuccess: &jobSuccessCollector{
			desc: prometheus.NewDesc("partybot_job_last_success_timestamp_seconds",
				"Unix time of each job's last successful run, on any replica.", []string{"job"}, nil),
			local: map[string]time.Time{},
		},
		redisErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "partybot_redis_errors_total", Help: "Redis commands that failed (not counting a missing key).",
		}),
	}
	m.reg.MustRegister(m.callbacks, m.latency, m.dedupeHits, m.sends, m.pauses, m.jobRuns, m.jobDuration, m.jobLastSuccess, m.redisErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Callback records one answered callback.
func (m *Metrics) Callback(kind, result string, elapsed time.Duration) {
	m.callbacks.WithLabelValues(kind, result).Inc()
	m.latency.WithLabelValues(kind).Observe(elapsed.Seconds())
}

// DedupeHit records a retried delivery answered from memory.
func (m *Metrics) DedupeHit() { m.dedupeHits.Inc() }

// Sent records one send attempt's result.
func (m *Metrics) Sent(result string) { m.sends.WithLabelValues(result).Inc() }

// Paused records a pause after a configuration error.
func (m *Metrics) Paused(channel, target, result string) {
	m.pauses.WithLabelValues(channel, target, result).Inc()
}

// JobRun records a job run.
func (m *Metrics) JobRun(job string, elapsed time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	} else {
		m.jobLastSuccess.ran(job, time.Now())
	}
	m.jobRuns.WithLabelValues(job, result).Inc()
	m.jobDuration.WithLabelValues(job).Observe(elapsed.Seconds())
}

// QueueStats reads the outbox queue's counts (outbox.Outbox.Stats).
type QueueStats func(ctx context.Context) (pending, retry, archived int, err error)

// WatchQueue exports the outbox queue's pending, retry and archived counts,
// read from asynq's inspector at each scrape.
func (m *Metrics) WatchQueue(stats QueueStats) {
	m.reg.MustRegister(&queueCollector{stats: stats,
		desc: prometheus.NewDesc("partybot_outbox_tasks", "Outbox tasks by state (pending, retry, archived = dead letters).", []string{"state"}, nil)})
}

type queueCollector struct {
	stats QueueStats
	desc  *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	pending, retry, archived, err := c.stats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for state, n := range map[string]int{"pending": pending, "retry": retry, "archived": archived} {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), state)
	}
}

// JobSuccesses reads each job's last success as every replica recorded it
// (outbox.Outbox.JobSuccesses).
type JobSuccesses func(ctx context.Context) (map[string]time.Time, error)

// WatchJobs exports partybot_job_last_success_timestamp_seconds from the
// shared record as well as this process's own runs, so that a replica that
// just started, or never worked a job's run, still exports every job: the
// "job stopped running" alert then fires after a restart too.
func (m *Metrics) WatchJobs(read JobSuccesses) {
	m.jobLastSuccess.mu.Lock()
	defer m.jobLastSuccess.mu.Unlock()
	m.jobLastSuccess.read = read
}

// How a scrape reads the shared record: briefly, and not on every scrape
// (several Prometheus servers may scrape every replica).
const (
	jobSuccessTimeout = time.Second
	jobSuccessCache   = 10 * time.Second
)

// jobSuccessCollector exports each job's latest success: the newer of this
// process's own and the shared record's.
type jobSuccessCollector struct {
	desc *prometheus.Desc

	mu     sync.Mutex
	local  map[string]time.Time // runs this process worked
	read   JobSuccesses         // nil: local only
	shared map[string]time.Time // the record as last read
	readAt time.Time
}

func (c *jobSuccessCollector) ran(job string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.local[job] = at
}

func (c *jobSuccessCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect reads the shared record when the cached copy is stale. If Redis
// does not answer in time the last copy stands: a missing series would
// hide a stopped job, a slightly old one does not.
func (c *jobSuccessCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.read != nil && time.Since(c.readAt) >= jobSuccessCache {
		ctx, cancel := context.WithTimeout(context.Background(), jobSuccessTimeout)
		shared, err := c.read(ctx)
		cancel()
		if err == nil {
			c.shared = shared
		}
		c.readAt = time.Now() // after a failure too: a Redis that is down is not asked on every scrape
	}
	latest := maps.Clone(c.local)
	for job, at := range c.shared {
		if at.After(latest[job]) {
			latest[job] = at
		}
	}
	for job, at := range latest {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(at.UnixNano())/1e9, job)
	}
}

// RedisHook counts failed Redis commands; add it to the client.
func (m *Metrics) RedisHook() redis.Hook { return redisHook{m} }

type redisHook struct{ m *Metrics }

func (h redisHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := next(ctx, network, addr)
		if err != nil {
			h.m.redisErrors.Inc()
		}
		return conn, err
	}
}

func (h redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.count(cmd)
		return err
	}
}

func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		for _, cmd := range cmds {
			h.count(cmd)
		}
		return err
	}
}

// count counts a real failure: not a missing key, a cancelled call, the
// NOSCRIPT that makes go-redis send a script's body once, or the optional
// handshake (HELLO, CLIENT SETINFO) an older server does not know.
func (h redisHook) count(cmd redis.Cmder) {
	err := cmd.Err()
	switch {
	case err == nil, errors.Is(err, redis.Nil), errors.Is(err, context.Canceled):
	case strings.HasPrefix(err.Error(), "NOSCRIPT"), cmd.Name() == "client", cmd.Name() == "hello":
	default:
		h.m.redisErrors.Inc()
	}
}
