package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partybot/partybot/bot"
)

// Deliverer sends one notice (wecom.Client).
type Deliverer interface {
	Notify(ctx context.Context, n bot.Notice) (bot.Delivery, error)
}

// JobRunner computes a job run's messages (bot.Bot).
type JobRunner interface {
	RunJob(ctx context.Context, run bot.JobRun) ([]bot.Outbound, error)
}

// Limiter keeps sends within WeCom's per-member and per-chat limits.
type Limiter interface {
	// AllowRecipients splits userids into those who may get one more
	// message now and those to retry after retryAfter.
	AllowRecipients(ctx context.Context, userIDs []string, now time.Time) (allowed, deferred []string, retryAfter time.Duration, err error)
	// AllowChat says whether a group chat may get one more message now.
	AllowChat(ctx context.Context, chatID string, now time.Time) (ok bool, retryAfter time.Duration, err error)
}

// WorkerConfig wires a worker.
type WorkerConfig struct {
	Deliver     Deliverer
	Jobs        JobRunner
	Limiter     Limiter          // nil: no limits
	Transient   func(error) bool // may a failed send succeed later?
	RateLimited func(error) bool // was it a frequency block (wait the window)?
	// ConfigFix recognises configuration errors (WeCom 60020, 48002, a
	// wrong secret) and names the fix. Such an error pauses every send for
	// Config.ConfigPause instead of archiving: messages wait for the fix.
	ConfigFix func(error) (fix string, ok bool)
	// GroupConfigFix recognises configuration errors that concern only a
	// group channel: app chats (WeCom 48002: the app's visible range is not
	// the root department) or one branch's group robot (93000: removed, or
	// a wrong key). They pause that channel alone, for Config.ConfigPause:
	// its messages are held, and every other send keeps going.
	GroupConfigFix func(error) (fix string, ok bool)
	// ErrorCorp names the corp whose app failed ("" the home corp), so a
	// configuration error pauses that corp alone; nil, or not ok: the corp
	// of the notice's recipients.
	ErrorCorp func(error) (corp string, ok bool)
	// Undelivered records recipients WeCom accepted but did not reach.
	Undelivered bot.DeliveryLog
	// Metrics hears of every send and job run; nil hears nothing.
	Metrics Metrics
	// ResultOf names a send's outcome for the metrics ("ok", an errcode).
	ResultOf func(error) string
	Log      *slog.Logger
	Now      func() time.Time
}

// Metrics is what the worker reports (metrics.Metrics).
type Metrics interface {
	Sent(result string)
	JobRun(job string, elapsed time.Duration, err error)
	// Paused counts a pause after a configuration error: channel "all"
	// (target: the corp, "" for the home corp), "chat" (target: the chat id
	// that hit it) or "robot" (target: the branch).
	Paused(channel, target, result string)
}

// Worker sends queued messages and runs queued jobs.
type Worker struct {
	o   *Outbox
	cfg WorkerConfig
	srv *asynq.Server
}

// Worker builds a worker on the outbox's queue.
func (o *Outbox) Worker(cfg WorkerConfig) *Worker {
	if cfg.ResultOf == nil {
		cfg.ResultOf = func(err error) string {
			if err != nil {
				return "error"
			}
			return "ok"
		}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Transient == nil {
		cfg.Transient = func(error) bool { return true }
	}
	if cfg.ConfigFix == nil {
		cfg.ConfigFix = func(error) (string, bool) { return "", false }
	}
	if cfg.GroupConfigFix == nil {
		cfg.GroupConfigFix = func(error) (string, bool) { return "", false }
	}
	w := &Worker{o: o, cfg: cfg}
	w.srv = asynq.NewServerFromRedisClient(o.rdb, asynq.Config{
		Concurrency:              o.cfg.Concurrency,
		Queues:                   map[string]int{o.cfg.Queue: 1},
		TaskCheckInterval:        o.cfg.PollInterval,
		DelayedTaskCheckInterval: o.cfg.PollInterval,
		RetryDelayFunc: func(n int, err error, _ *asynq.Task) time.Duration {
			return o.backoff(n, err, cfg.RateLimited)
		},
		Logger:          slogAdapter{cfg.Log.With(slog.String("component", "asynq"))},
		LogLevel:        asynq.WarnLevel,
		ShutdownTimeout: o.cfg.ShutdownTimeout,
	})
	return w
}

// Start runs the worker in the background.
func (w *Worker) Start() error {
	mux := asynq.NewServeMux()
	mux.HandleFunc(typeNotice, w.sendNotice)
	mux.HandleFunc(typeJob, w.runJob)
	if err := w.srv.Start(mux); err != nil {
		return fmt.Errorf("outbox: start worker: %w", err)
	}
	return nil
}

// Shutdown stops taking tasks and waits for running ones.
func (w *Worker) Shutdown() { w.srv.Shutdown() }

// split is how the rate limiter divided a notice's recipients.
type split struct {
	Now   []string      `json:"now,omitempty"`
	Later []string      `json:"later,omitempty"`
	Chat  bool          `json:"chat_ok,omitempty"`
	Wait  time.Duration `json:"wait,omitempty"`
}

// sendNotice delivers one queued message. The first time a notice is seen
// the rate limiter splits it into a part to send now and a part delayed to
// the next window; the split is stored, so a retried attempt makes the same
// children and nobody is dropped or sent twice. A checked child is sent: a
// transient failure is retried with backoff, a permanent one is archived.
func (w *Worker) sendNotice(ctx context.Context, t *asynq.Task) error {
	id, _ := asynq.GetTaskID(ctx)
	return w.handleNotice(ctx, id, t.Payload())
}

func (w *Worker) handleNotice(ctx context.Context, id string, payload []byte) error {
	var nt noticeTask
	if err := json.Unmarshal(payload, &nt); err != nil {
		return fmt.Errorf("outbox: bad notice payload: %v: %w", err, asynq.SkipRetry)
	}
	n := nt.Notice
	log := w.cfg.Log.With(slog.String("task", id), slog.Int("recipients", len(n.To)), slog.String("chat", n.ChatID))
	if corps := corpsOf(n); len(corps) > 1 {
		return w.splitByCorp(ctx, id, nt, corps)
	}
	corp := corpOf(n)
	if corp != "" {
		log = log.With(slog.String("corp", corp))
	}
	if paused, err := w.o.PausedCorp(ctx, corp); err != nil {
		return err
	} else if paused.Reason != "" {
		return w.hold(ctx, id, nt, paused.Left)
	}
	channel := channelOf(n)
	if channel.key != "" {
		if paused, err := w.o.pausedChannel(ctx, channel.key); err != nil {
			return err
		} else if paused.Reason != "" {
			return w.hold(ctx, id, nt, paused.Left)
		}
	}
	if !nt.Checked && w.cfg.Limiter != nil {
		return w.splitByLimits(ctx, id, n, log)
	}
	d, err := w.cfg.Deliver.Notify(ctx, n)
	if w.cfg.Metrics != nil {
		w.cfg.Metrics.Sent(w.cfg.ResultOf(err))
	}
	if err == nil {
		log.Debug("sent")
		w.recordUndelivered(ctx, d, log)
		return nil
	}
	if fix, ok := w.cfg.GroupConfigFix(err); ok && channel.key != "" {
		log.Error("WeCom refuses to post to this group: pausing "+channel.what+" until it is fixed; other sends go on",
			slog.String("channel", channel.name), slog.String(channel.name, channel.target),
			slog.Any("error", err), slog.String("fix", fix), slog.Duration("pause", w.o.cfg.ConfigPause))
		w.paused(channel.name, channel.target, err)
		if perr := w.o.pauseChannel(ctx, channel.key, channel.what+" ("+channel.target+"): "+err.Error()+" — "+fix); perr != nil {
			return perr
		}
		return w.hold(ctx, id, nt, w.o.cfg.ConfigPause)
	}
	if fix, ok := w.cfg.ConfigFix(err); ok {
		failed := corp
		if w.cfg.ErrorCorp != nil {
			if c, ok := w.cfg.ErrorCorp(err); ok {
				failed = c // another corp's app, whose file this notice forwards
			}
		}
		if failed == "" {
			log.Error("WeCom refuses this install's configuration; pausing every send until it is fixed",
				slog.Any("error", err), slog.String("fix", fix), slog.Duration("pause", w.o.cfg.ConfigPause))
		} else {
			log.Error("WeCom refuses the configuration of corp "+failed+"'s app; pausing that corp's sends until it is fixed; other corps go on",
				slog.String("failed_corp", failed), slog.Any("error", err), slog.String("fix", fix), slog.Duration("pause", w.o.cfg.ConfigPause))
		}
		w.paused("all", failed, err)
		if perr := w.o.pause(ctx, failed, err.Error()+" — "+fix); perr != nil {
			return perr
		}
		return w.hold(ctx, id, nt, w.o.cfg.ConfigPause)
	}
	// A failure marked permanent (a file over WeCom's size limit, its
	// requester told) is never retried, whatever Transient says.
	if w.cfg.Transient(err) && !bot.IsPermanent(err) {
		retried, _ := asynq.GetRetryCount(ctx)
		log.Warn("send failed; will retry", slog.Int("attempt", retried+1), slog.Any("error", err))
		return fmt.Errorf("outbox: send: %w", err)
	}
	log.Error("send failed permanently; archived as a dead letter", slog.Any("error", err))
	return fmt.Errorf("outbox: send: %v: %w", err, asynq.SkipRetry)
}

func (w *Worker) paused(channel, target string, err error) {
	if w.cfg.Metrics != nil {
		w.cfg.Metrics.Paused(channel, target, w.cfg.ResultOf(err))
	}
}

// channel is the group channel a notice posts to, as pauses see it.
type channel struct {
	key    string // its pause key; "" for a message to members
	name   string // "chat" or "robot", for logs and metrics
	target string // the chat id, or the branch whose robot it is
	what   string // for people
}

// channelOf names a notice's group channel. Every app chat of a corp
// shares one pause: 48002 means that corp's app may not use app chats at
// all (its visible range is not the root department), so the next chat
// would fail too; another corp's app has its own visible range. A robot is
// one branch's, and its key fails alone.
func channelOf(n bot.Notice) channel {
	switch {
	case n.ChatID != "":
		if corp := bot.CorpOf(n.ChatID); corp != "" {
			return channel{key: "corp:" + corp + ":chats", name: "chat", target: n.ChatID, what: "every app group chat send of corp " + corp}
		}
		return channel{key: "chats", name: "chat", target: n.ChatID, what: "every app group chat send"}
	case n.Robot != "":
		return channel{key: "robot:" + n.Robot, name: "robot", target: n.Robot, what: "the group robot of branch " + n.Robot}
	}
	return channel{}
}

// corpsOf lists the corps a notice's members belong to ("" the home
// corp), in order; a group notice goes to one channel and needs no split.
func corpsOf(n bot.Notice) []string {
	if n.ChatID != "" || n.Robot != "" {
		return nil
	}
	var out []string
	for _, id := range n.To {
		if corp := bot.CorpOf(id); !slices.Contains(out, corp) {
			out = append(out, corp)
		}
	}
	return out
}

// corpOf is the corp whose app sends a notice: an app chat's, or its
// members'. A group robot needs no app; it follows the home corp's pause,
// as before there were corps.
func corpOf(n bot.Notice) string {
	switch {
	case n.ChatID != "":
		return bot.CorpOf(n.ChatID)
	case n.Robot != "" || len(n.To) == 0:
		return ""
	}
	return bot.CorpOf(n.To[0])
}

// splitByCorp makes one child per corp of a notice to members of several
// corps (a joint branch's meeting): each goes through its own corp's app,
// pause and limits, and a retry of one corp's send repeats nobody else's.
// A child's id depends only on the task and the corp, so a retried split
// makes the same children.
func (w *Worker) splitByCorp(ctx context.Context, id string, nt noticeTask, corps []string) error {
	for _, corp := range corps {
		part := nt.Notice
		part.To = nil
		for _, m := range nt.Notice.To {
			if bot.CorpOf(m) == corp {
				part.To = append(part.To, m)
			}
		}
		label := corp
		if label == "" {
			label = bot.HomeCorp
		}
		if err := w.o.enqueueTask(ctx, id+":corp:"+label, noticeTask{Notice: part, Checked: nt.Checked}, 0); err != nil {
			return err
		}
	}
	return nil
}

// recordUndelivered keeps who WeCom did not reach, for the secretaries'
// summary. Losing this note is not worth resending the message for.
func (w *Worker) recordUndelivered(ctx context.Context, d bot.Delivery, log *slog.Logger) {
	if len(d.Undelivered) == 0 {
		return
	}
	log.Warn("WeCom accepted the message but did not deliver it to some recipients (left, inactive or unlicensed)",
		slog.Any("userids", d.Undelivered))
	if w.cfg.Undelivered == nil {
		return
	}
	if err := w.cfg.Undelivered.MarkUndelivered(ctx, d.Undelivered, w.cfg.Now()); err != nil {
		log.Warn("record undelivered recipients", slog.Any("error", err))
	}
}

// hold puts a notice back for later without spending its retries: a copy
// under a derived id runs after wait, and this task is done. The copy's id
// depends only on the task, so a retried hold makes the same copy.
func (w *Worker) hold(ctx context.Context, id string, nt noticeTask, wait time.Duration) error {
	if nt.Root == "" {
		nt.Root = id
	}
	nt.Holds++
	wait = max(wait, time.Second)
	return w.o.enqueueTask(ctx, fmt.Sprintf("%s:hold%d", nt.Root, nt.Holds), nt, wait)
}

// groupOf names the group a notice posts to, for the per-group limit: an
// app chat, or a branch group's robot (20 posts a minute each), or "".
func groupOf(n bot.Notice) string {
	switch {
	case n.ChatID != "":
		return n.ChatID
	case n.Robot != "":
		return "robot:" + n.Robot
	}
	return ""
}

func (w *Worker) splitByLimits(ctx context.Context, id string, n bot.Notice, log *slog.Logger) error {
	var fresh split
	now := w.cfg.Now()
	var err error
	group := groupOf(n)
	if group != "" {
		fresh.Chat, fresh.Wait, err = w.cfg.Limiter.AllowChat(ctx, group, now)
	} else {
		fresh.Now, fresh.Later, fresh.Wait, err = w.cfg.Limiter.AllowRecipients(ctx, n.To, now)
	}
	if err != nil {
		return fmt.Errorf("outbox: rate limit: %w", err)
	}
	var s split
	if err := w.o.remember(ctx, w.o.cfg.KeyPrefix+"split:"+id, fresh, &s); err != nil {
		return err
	}
	nowPart, laterPart := n, n
	nowPart.To, laterPart.To = s.Now, s.Later
	sendNow := len(s.Now) > 0 || (group != "" && s.Chat)
	sendLater := len(s.Later) > 0 || (group != "" && !s.Chat)
	if sendNow {
		if err := w.o.enqueueTask(ctx, id+":now", noticeTask{Notice: nowPart, Checked: true}, 0); err != nil {
			return err
		}
	}
	if sendLater {
		log.Info("over WeCom's rate limit; delayed", slog.Int("deferred", len(s.Later)), slog.Duration("wait", s.Wait))
		if err := w.o.enqueueTask(ctx, id+":later", noticeTask{Notice: laterPart}, s.Wait); err != nil {
			return err
		}
	}
	return nil
}

// runJob computes a scheduled run's messages and enqueues them under ids
// derived from the run, so a run that crashed halfway and is retried sends
// nobody a message twice.
func (w *Worker) runJob(ctx context.Context, t *asynq.Task) error {
	return w.handleJob(ctx, t.Payload())
}

func (w *Worker) handleJob(ctx context.Context, payload []byte) error {
	var p jobPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return fmt.Errorf("outbox: bad job payload: %v: %w", err, asynq.SkipRetry)
	}
	fire := time.Unix(p.Fire, 0)
	start := time.Now()
	run := JobTaskID(bot.JobRun{Name: p.Name, Fire: fire, Manual: p.Manual})
	computed, err := w.cfg.Jobs.RunJob(ctx, bot.JobRun{Name: p.Name, Fire: fire, Manual: p.Manual})
	if w.cfg.Metrics != nil {
		w.cfg.Metrics.JobRun(p.Name, time.Since(start), err)
	}
	if err != nil {
		w.cfg.Log.Error("job failed", slog.String("job", p.Name), slog.Time("fire", fire), slog.Any("error", err))
		return fmt.Errorf("outbox: job %s: %w", p.Name, err)
	}
	// The first attempt's messages are frozen: a retried run (one that
	// crashed halfway) enqueues exactly the same batches under the same ids,
	// even if the roster or check-ins changed meanwhile, so every recipient
	// gets the run's message once.
	var outs []bot.Outbound
	if err := w.o.remember(ctx, w.o.cfg.KeyPrefix+"run:"+run, computed, &outs); err != nil {
		return err
	}
	for _, out := range outs {
		if err := w.o.Enqueue(ctx, run+":"+out.Key, out.Notice); err != nil {
			return err
		}
	}
	// Every replica's /metrics exports every job's last success from this
	// record, not only the runs it happened to work itself. Losing one
	// note is not worth running the job again for.
	if err := w.o.recordJobSuccess(ctx, p.Name, time.Now()); err != nil {
		w.cfg.Log.Warn("record job success", slog.String("job", p.Name), slog.Any("error", err))
	}
	w.cfg.Log.Info("job ran", slog.String("job", p.Name), slog.Time("fire", fire),
		slog.Int("messages", len(outs)), slog.Duration("took", time.Since(start)))
	return nil
}
