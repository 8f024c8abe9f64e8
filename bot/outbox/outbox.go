// Package outbox is one of the bot's channels: it delivers the bot's
// outbound messages reliably (implementing bot.Outbox), on
// hibiken/asynq: every message is a task in Redis before it is sent, a
// worker sends it with retries and exponential backoff, permanent failures
// are archived as dead letters, and task ids make every enqueue idempotent.
// Scheduled job runs are tasks too, keyed by job and fire time, so that
// many replicas run each fire once.
package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
)

// Task types.
const (
	typeNotice = "partybot:notice"
	typeJob    = "partybot:job"
)

// Config tunes the queue. Zero values take the defaults.
type Config struct {
	Queue         string        `yaml:"-"`               // asynq queue name; carries the key prefix
	KeyPrefix     string        `yaml:"-"`               // for the outbox's own keys (frozen runs and splits)
	Concurrency   int           `yaml:"concurrency"`     // sends in flight per process (default 4)
	MaxRetry      int           `yaml:"max_retry"`       // attempts after the first (default 8)
	RetryBase     time.Duration `yaml:"retry_base"`      // first retry delay, doubling each time up to 10 min (default 2 s)
	RateLimitWait time.Duration `yaml:"rate_limit_wait"` // first delay after errcode 45009, then ×10 and ×60 (default 60 s: 1, 10, 60 min)
	ConfigPause   time.Duration `yaml:"config_pause"`    // how long every send waits after a configuration error (default 10 min)
	Retention     time.Duration `yaml:"-"`               // done tasks kept, their ids reserved (default 48 h)
	PollInterval  time.Duration `yaml:"poll_interval"`   // how often an idle worker looks for work (default 1 s)
	// ShutdownTimeout is how long a stopping worker lets its tasks finish
	// before leaving them (their lease expires; another worker retries them).
	ShutdownTimeout time.Duration `yaml:"-"` // default 10 s
}

// DefaultConfig is the outbox's tuning unless configured: the one source
// of these numbers (the config file's defaults come from here).
func DefaultConfig() Config {
	return Config{
		Queue: "partybot:outbox", Concurrency: 4, MaxRetry: 8, RetryBase: 2 * time.Second,
		RateLimitWait: time.Minute, ConfigPause: 10 * time.Minute, Retention: 48 * time.Hour, PollInterval: time.Second,
	}
}

func (c Config) withDefaults() Config {
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	d := DefaultConfig()
	if c.Queue == "" {
		c.Queue = d.Queue
	}
	if c.KeyPrefix == "" {
		c.KeyPrefix = c.Queue + ":"
	}
	if c.Concurrency <= 0 {
		c.Concurrency = d.Concurrency
	}
	if c.MaxRetry <= 0 {
		c.MaxRetry = d.MaxRetry
	}
	if c.RetryBase <= 0 {
		c.RetryBase = d.RetryBase
	}
	if c.RateLimitWait <= 0 {
		c.RateLimitWait = d.RateLimitWait
	}
	if c.ConfigPause <= 0 {
		c.ConfigPause = d.ConfigPause
	}
	if c.Retention <= 0 {
		c.Retention = d.Retention
	}
	if c.PollInterval <= 0 {
		c.PollInterval = d.PollInterval
	}
	return c
}

// Outbox enqueues messages and job runs.
type Outbox struct {
	cfg       Config
	rdb       redis.UniversalClient
	client    *asynq.Client
	inspector *asynq.Inspector
}

var _ bot.Outbox = (*Outbox)(nil)

// New returns an outbox on an existing Redis client (it does not close it).
func New(rdb redis.UniversalClient, cfg Config) *Outbox {
	return &Outbox{
		cfg: cfg.withDefaults(), rdb: rdb,
		client:    asynq.NewClientFromRedisClient(rdb),
		inspector: asynq.NewInspectorFromRedisClient(rdb),
	}
}

// Queue is the asynq queue name.
func (o *Outbox) Queue() string { return o.cfg.Queue }

// Enqueue implements bot.Outbox: the task id is id, so an id enqueued
// before (and still retained) is not enqueued again.
func (o *Outbox) Enqueue(ctx context.Context, id string, n bot.Notice) error {
	return o.enqueueNotice(ctx, id, n, 0)
}

// noticeTask is a notice task's payload. Checked means the rate limiter
// already admitted its recipients: send it as it is, however often retried.
// Root and Holds name the copies made while sending is paused.
type noticeTask struct {
	Notice  bot.Notice `json:"notice"`
	Checked bool       `json:"checked,omitempty"`
	Root    string     `json:"root,omitempty"`
	Holds   int        `json:"holds,omitempty"`
}

func (o *Outbox) enqueueNotice(ctx context.Context, id string, n bot.Notice, delay time.Duration) error {
	return o.enqueueTask(ctx, id, noticeTask{Notice: n}, delay)
}

func (o *Outbox) enqueueTask(ctx context.Context, id string, nt noticeTask, delay time.Duration) error {
	payload, err := json.Marshal(nt)
	if err != nil {
		return fmt.Errorf("outbox: encode notice: %w", err)
	}
	opts := []asynq.Option{asynq.Queue(o.cfg.Queue), asynq.TaskID(id), asynq.MaxRetry(o.cfg.MaxRetry), asynq.Retention(o.cfg.Retention)}
	if delay > 0 {
		opts = append(opts, asynq.ProcessIn(delay))
	}
	_, err = o.client.EnqueueContext(ctx, asynq.NewTask(typeNotice, payload), opts...)
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("outbox: enqueue %s: %w", id, err)
	}
	return nil
}

type jobPayload struct {
	Name   string `json:"name"`
	Fire   int64  `json:"fire"` // unix seconds of the scheduled fire time
	Manual bool   `json:"manual,omitempty"`
}

// JobTaskID names one scheduled run: every replica derives the same id. A
// manual run has its own, so it never collides with the schedule's.
func JobTaskID(run bot.JobRun) string {
	id := run.Name + ":" + strconv.FormatInt(run.Fire.Unix(), 10)
	if run.Manual {
		id += ":now"
	}
	return id
}

// EnqueueJob enqueues one run of a job. It reports false when another
// replica (or an earlier call) already enqueued that run.
func (o *Outbox) EnqueueJob(ctx context.Context, run bot.JobRun) (bool, error) {
	name := run.Name
	payload, err := json.Marshal(jobPayload{Name: name, Fire: run.Fire.Unix(), Manual: run.Manual})
	if err != nil {
		return false, fmt.Errorf("outbox: encode job: %w", err)
	}
	_, err = o.client.EnqueueContext(ctx, asynq.NewTask(typeJob, payload), asynq.Queue(o.cfg.Queue),
		asynq.TaskID(JobTaskID(run)), asynq.MaxRetry(3), asynq.Retention(o.cfg.Retention))
	switch {
	case errors.Is(err, asynq.ErrTaskIDConflict):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("outbox: enqueue job %s: %w", name, err)
	}
	return true, nil
}

// Stats counts the queue's tasks waiting to be sent, waiting to retry, and
// archived (dead letters), for the metrics.
func (o *Outbox) Stats(ctx context.Context) (pending, retry, archived int, err error) {
	info, err := o.inspector.GetQueueInfo(o.cfg.Queue)
	if errors.Is(err, asynq.ErrQueueNotFound) || (err != nil && strings.Contains(err.Error(), "NOT_FOUND")) {
		return 0, 0, 0, nil // nothing was ever queued
	}
	if err != nil {
		return 0, 0, 0, fmt.Errorf("outbox: queue info: %w", err)
	}
	return info.Pending + info.Scheduled, info.Retry, info.Archived, nil
}

// Backlog counts tasks not yet done: pending, running, scheduled or waiting to retry.
func (o *Outbox) Backlog(ctx context.Context) (int, error) {
	info, err := o.inspector.GetQueueInfo(o.cfg.Queue)
	if err != nil {
		if errors.Is(err, asynq.ErrQueueNotFound) {
			return 0, nil
		}
		return 0, fmt.Errorf("outbox: queue info: %w", err)
	}
	return info.Pending + info.Active + info.Scheduled + info.Retry, nil
}

// Waiting describes the tasks not yet done, for operators and for tests
// that time out: counts by state, and the next few retries with their errors.
func (o *Outbox) Waiting(ctx context.Context) (string, error) {
	info, err := o.inspector.GetQueueInfo(o.cfg.Queue)
	if err != nil {
		return "", fmt.Errorf("outbox: queue info: %w", err)
	}
	out := fmt.Sprintf("pending %d, active %d, scheduled %d, retry %d, archived %d",
		info.Pending, info.Active, info.Scheduled, info.Retry, info.Archived)
	retries, err := o.inspector.ListRetryTasks(o.cfg.Queue, asynq.PageSize(5))
	if err != nil {
		return out, fmt.Errorf("outbox: list retries: %w", err)
	}
	for _, t := range retries {
		out += fmt.Sprintf("; retry %s at %s after %q", t.ID, t.NextProcessAt.Format(time.RFC3339), t.LastErr)
	}
	scheduled, err := o.inspector.ListScheduledTasks(o.cfg.Queue, asynq.PageSize(5))
	if err != nil {
		return out, fmt.Errorf("outbox: list scheduled: %w", err)
	}
	for _, t := range scheduled {
		out += fmt.Sprintf("; scheduled %s at %s", t.ID, t.NextProcessAt.Format(time.RFC3339))
	}
	return out, nil
}

// DeadLetter is a message that could not be delivered.
type DeadLetter struct {
	ID     string
	Notice bot.Notice
	Reason string
	At     time.Time
}

// DeadLetters lists archived (permanently failed) messages.
func (o *Outbox) DeadLetters(ctx context.Context) ([]DeadLetter, error) {
	tasks, err := o.inspector.ListArchivedTasks(o.cfg.Queue, asynq.PageSize(1000))
	if err != nil {
		if errors.Is(err, asynq.ErrQueueNotFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("outbox: list dead letters: %w", err)
	}
	out := make([]DeadLetter, 0, len(tasks))
	for _, t := range tasks {
		d := DeadLetter{ID: t.ID, Reason: t.LastErr, At: t.LastFailedAt}
		var nt noticeTask
		if json.Unmarshal(t.Payload, &nt) == nil { // a job task has no notice
			d.Notice = nt.Notice
		}
		out = append(out, d)
	}
	return out, nil
}

// remember stores v under key unless something is stored there already,
// and returns what is stored: the first attempt's decision stands for every
// retry. The key lives as long as the tasks it governs.
func (o *Outbox) remember(ctx context.Context, key string, v any, out any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("outbox: encode %s: %w", key, err)
	}
	stored, err := o.rdb.SetArgs(ctx, key, raw, redis.SetArgs{Mode: "NX", TTL: o.cfg.Retention, Get: true}).Result()
	switch {
	case errors.Is(err, redis.Nil): // we stored it
		stored = string(raw)
	case err != nil:
		return fmt.Errorf("outbox: remember %s: %w", key, err)
	}
	if err := json.Unmarshal([]byte(stored), out); err != nil {
		return fmt.Errorf("outbox: decode %s: %w", key, err)
	}
	return nil
}

// jobSuccessKey is the hash of each job's last successful run (unix
// seconds), shared by every replica and kept without expiry: a weekly job
// must still show after a restart on Thursday.
func (o *Outbox) jobSuccessKey() string { return o.cfg.KeyPrefix + "jobs:last_success" }

// recordJobSuccess notes that job's run succeeded at at. An older time
// never overwrites a newer one (a slow run finishing after a later one).
func (o *Outbox) recordJobSuccess(ctx context.Context, job string, at time.Time) error {
	if err := keepLatest.Run(ctx, o.rdb, []string{o.jobSuccessKey()}, job, at.Unix()).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("outbox: record job success: %w", err)
	}
	return nil
}

// keepLatest sets a hash field to a number unless it holds a larger one.
var keepLatest = redis.NewScript(`
local old = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') or 0
if tonumber(ARGV[2]) > old then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 0`)

// JobSuccesses reads when each job last ran successfully, on any replica.
// A job that never succeeded (since this record exists) is absent.
func (o *Outbox) JobSuccesses(ctx context.Context) (map[string]time.Time, error) {
	raw, err := o.rdb.HGetAll(ctx, o.jobSuccessKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("outbox: read job successes: %w", err)
	}
	out := make(map[string]time.Time, len(raw))
	for job, v := range raw {
		if sec, err := strconv.ParseInt(v, 10, 64); err == nil {
			out[job] = time.Unix(sec, 0)
		}
	}
	return out, nil
}

// Pause says why sending is paused, and for how much longer; Reason is ""
// when it is not.
type Pause struct {
	Reason string
	Left   time.Duration
}

// Paused reports the home corp's pause set after a configuration error
// (see WorkerConfig.ConfigFix). It is shared by every replica and ends by
// itself: the next send tries again.
func (o *Outbox) Paused(ctx context.Context) (Pause, error) {
	return o.readPause(ctx, o.pauseKey(""))
}

// PausedCorp is Paused for one corp ("" for the home corp).
func (o *Outbox) PausedCorp(ctx context.Context, corp string) (Pause, error) {
	return o.readPause(ctx, o.pauseKey(corp))
}

// PausedCorps reports which of corps ("" for the home corp) are paused,
// in one round trip: each corp's app has its own trusted IPs and secret,
// so one corp's configuration error stops only that corp's sends.
func (o *Outbox) PausedCorps(ctx context.Context, corps []string) (map[string]Pause, error) {
	pipe := o.rdb.Pipeline()
	reasons := make([]*redis.StringCmd, len(corps))
	ttls := make([]*redis.DurationCmd, len(corps))
	for i, corp := range corps {
		reasons[i] = pipe.Get(ctx, o.pauseKey(corp))
		ttls[i] = pipe.PTTL(ctx, o.pauseKey(corp))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("outbox: read pauses: %w", err)
	}
	out := map[string]Pause{}
	for i, corp := range corps {
		if r := reasons[i].Val(); r != "" {
			out[corp] = Pause{Reason: r, Left: max(ttls[i].Val(), 0)}
		}
	}
	return out, nil
}

// pauseKey is a corp's pause: the home corp keeps the key of releases
// before corps (a pause they wrote still holds), others have their own.
func (o *Outbox) pauseKey(corp string) string {
	if corp == "" {
		return o.cfg.KeyPrefix + "paused"
	}
	return o.cfg.KeyPrefix + "paused:corp:" + corp
}

func (o *Outbox) readPause(ctx context.Context, key string) (Pause, error) {
	pipe := o.rdb.Pipeline()
	reason := pipe.Get(ctx, key)
	ttl := pipe.PTTL(ctx, key)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return Pause{}, fmt.Errorf("outbox: read pause: %w", err)
	}
	if reason.Val() == "" {
		return Pause{}, nil
	}
	return Pause{Reason: reason.Val(), Left: max(ttl.Val(), 0)}, nil
}

func (o *Outbox) pause(ctx context.Context, corp, reason string) error {
	if err := o.rdb.Set(ctx, o.pauseKey(corp), reason, o.cfg.ConfigPause).Err(); err != nil {
		return fmt.Errorf("outbox: pause: %w", err)
	}
	return nil
}

// pausedChannel reports a pause of one group channel (see WorkerConfig.GroupConfigFix).
func (o *Outbox) pausedChannel(ctx context.Context, channel string) (Pause, error) {
	return o.readPause(ctx, o.cfg.KeyPrefix+"paused:"+channel)
}

func (o *Outbox) pauseChannel(ctx context.Context, channel, reason string) error {
	if err := o.rdb.Set(ctx, o.cfg.KeyPrefix+"paused:"+channel, reason, o.cfg.ConfigPause).Err(); err != nil {
		return fmt.Errorf("outbox: pause %s: %w", channel, err)
	}
	return nil
}

// rateLimitSteps multiply RateLimitWait on the first, second and later
// frequency blocks: WeCom's minute blocks last a minute, its hour blocks
// an hour, and eight one-minute retries would dead-letter the message.
var rateLimitSteps = []time.Duration{1, 10, 60}

// backoff is the retry delay after n retries (asynq counts from 0): after a frequency block RateLimitWait times
// 1, 10, then 60; otherwise RetryBase doubling per attempt, ±20 % jitter,
// at most 10 min.
func (o *Outbox) backoff(n int, err error, rateLimited func(error) bool) time.Duration {
	if rateLimited != nil && rateLimited(err) {
		return o.cfg.RateLimitWait * rateLimitSteps[min(max(n, 0), len(rateLimitSteps)-1)]
	}
	d := o.cfg.RetryBase << min(max(n-1, 0), 20)
	d = min(d, 10*time.Minute)
	jitter := time.Duration(rand.Int64N(int64(d)/5 + 1))
	return d - d/10 + jitter
}

// slogAdapter lets asynq log through slog.
type slogAdapter struct{ log *slog.Logger }

func (a slogAdapter) Debug(args ...any) { a.log.Debug(fmt.Sprint(args...)) }
func (a slogAdapter) Info(args ...any)  { a.log.Info(fmt.Sprint(args...)) }
func (a slogAdapter) Warn(args ...any)  { a.log.Warn(fmt.Sprint(args...)) }
func (a slogAdapter) Error(args ...any) { a.log.Error(fmt.Sprint(args...)) }
func (a slogAdapter) Fatal(args ...any) { a.log.Error(fmt.Sprint(args...)) }
