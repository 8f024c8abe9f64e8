package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/metrics"
	"github.com/partybot/partybot/bot/outbox"
	"github.com/partybot/partybot/bot/schedule"
	"github.com/partybot/partybot/bot/wecom"
	"github.com/partybot/partybot/bot/weekchart"
	"github.com/partybot/partybot/store"
)

// App is one running partybot: HTTP server, bot, Redis store, WeCom client.
// Tests build it directly from a Config, skipping flags and files.
type App struct {
	Config Config
	Log    *slog.Logger
	Now    func() time.Time

	Store     *store.Store
	Bot       *bot.Bot
	WeCom     *wecom.Client // the home corp's app (Corps.Home())
	Corps     *wecom.Corps  // every corp's app: sends, media and app chats go through their corp's
	Callback  *wecom.Callback
	Outbox    *outbox.Outbox
	Worker    *outbox.Worker
	Scheduler *schedule.Scheduler

	// Mux routes the HTTP server; add routes before Start (the demo does).
	Mux *http.ServeMux

	// Members answers "who sent this" from memory, kept fresh by a version key.
	Members *store.MemberCache
	// Metrics is served at /metrics (on metrics_listen when set).
	Metrics *metrics.Metrics
	// Callbacks are every corp's callback endpoints by corps id; "" is the
	// home corp's, also Callback.
	Callbacks map[string]*wecom.Callback

	srv        *http.Server
	metricsSrv *http.Server
	metricsLn  net.Listener
	stopCache  context.CancelFunc
	ln         net.Listener
	draining   atomic.Bool // stopping: /readyz answers 503
}

// The member cache: a removed member or a changed role is seen within a
// poll (another replica's write) and never served longer than the TTL.
const (
	memberCacheTTL  = 5 * time.Second
	memberCachePoll = 500 * time.Millisecond
)

// NewApp wires the parts. It does no network I/O.
func NewApp(cfg Config, log *slog.Logger) (*App, error) {
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		return nil, fmt.Errorf("timezone: %w", err)
	}
	cal, err := bot.NewChinaCalendar(cfg.Calendar.Holidays, cfg.Calendar.Workdays)
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Log: log, Now: time.Now}
	a.Store = store.New(cfg.storeConfig())
	a.Metrics = metrics.New()
	a.Store.Client().AddHook(a.Metrics.RedisHook())
	a.Members = a.Store.MemberCache(memberCacheTTL)
	obc := cfg.Outbox
	obc.Queue, obc.KeyPrefix, obc.ShutdownTimeout = cfg.Redis.KeyPrefix+"outbox", cfg.Redis.KeyPrefix+"outbox:", cfg.ShutdownTimeout/2
	a.Outbox = outbox.New(a.Store.Client(), obc)
	a.Metrics.WatchQueue(a.Outbox.Stats)
	a.Metrics.WatchJobs(a.Outbox.JobSuccesses)

	charts, err := weekchart.New()
	if err != nil {
		return nil, err
	}
	// One client per corp, each with its own token (cached under its corp
	// id) and gettoken pause; none is fetched before a corp first sends.
	apps := map[string]wecom.ClientConfig{}
	httpClient := &http.Client{Timeout: cfg.WeCom.APITimeout}
	for _, app := range cfg.apps() {
		clog := log
		if app.ID != "" {
			clog = log.With(slog.String("corp", app.ID))
		}
		apps[app.ID] = wecom.ClientConfig{
			CorpID: app.WeCom.CorpID, AgentID: app.WeCom.AgentID, Secret: app.WeCom.Secret,
			Cache:   a.Store.TokenCache(),
			BaseURL: app.WeCom.APIBase, HTTP: httpClient,
			Files: ledgerFiles{a}, Charts: charts, PlainText: app.WeCom.PlainText,
			Log: clog, Now: func() time.Time { return a.Now() },
		}
	}
	home := apps[""]
	home.RobotKeys = cfg.Org.robotKeys() // a robot is a branch's, whatever its members' corps
	apps[""] = home
	if a.Corps, err = wecom.NewCorps(apps); err != nil {
		return nil, err
	}
	a.WeCom = a.Corps.Home()
	var media bot.MediaFetcher
	if cfg.WeCom.Secret != "" { // without it no API call works: photos keep their ids only
		media = a.Corps
	}
	a.Bot, err = bot.New(bot.Deps{
		Roster:        a.Members,
		Dedupe:        a.Store,
		Checkins:      a.Store,
		Leaves:        a.Store,
		Audit:         a.Store,
		Meetings:      a.Store,
		Studies:       a.Store,
		Announcements: a.Store,
		Minutes:       a.Store,
		Metrics:       a.Metrics,
		Dues:          a.Store,
		Steps:         a.Store,
		Development:   a.Store,
		Talks:         a.Store,
		Rectify:       a.Store,
		Reviews:       a.Store,
		LifeMeetings:  a.Store,
		Makeups:       a.Store,
		Materials:     a.Store,
		ThemeDays:     a.Store,
		Media:         media,
		Outbox:        a.Outbox,
		Deliveries:    a.Store,
		Location:      loc,
		Calendar:      cal,
		Now:           func() time.Time { return a.Now() },
		Log:           log,

		SignInWindow:      cfg.Rules.MeetingSignInWindow,
		Cadence:           cfg.cadence(),
		Targets:           bot.StudyTargets{WeeklyMinutes: cfg.Rules.WeeklyStudyMinutes, WeeklyReports: cfg.Rules.WeeklyStudyReports},
		Leaderboard:       cfg.Rules.Leaderboard,
		Companies:         cfg.org().Companies,
		PoliticalBirthday: cfg.Rules.PoliticalBirthday,
		CheckinReminder:   cfg.checkinReminder(),
		DuesPrepayMonths:  cfg.Rules.DuesPrepayMonths,
	})
	if err != nil {
		return nil, err
	}
	// One callback per corp, each on its own path with that corp's token,
	// key and receive id: a callback signed for one corp is refused on
	// another's path.
	a.Callbacks = map[string]*wecom.Callback{}
	for _, app := range cfg.apps() {
		cb, err := newCallback(a, app)
		if err != nil {
			return nil, err
		}
		a.Callbacks[app.ID] = cb
	}
	a.Callback = a.Callbacks[""]

	a.Worker = a.Outbox.Worker(outbox.WorkerConfig{
		Deliver: a.Corps, Jobs: a.Bot, Limiter: a.Store.Limiter(store.DefaultLimits),
		Transient: transient, RateLimited: wecom.RateLimited, ConfigFix: wecom.ConfigFix, GroupConfigFix: wecom.GroupConfigFix,
		ErrorCorp:   wecom.ErrorCorp,
		Undelivered: a.Store, Log: log, Metrics: a.Metrics, ResultOf: wecom.Result,
		Now: func() time.Time { return a.Now() },
	})
	a.Scheduler, err = schedule.New(cfg.Schedule, loc, a.Outbox, log)
	if err != nil {
		return nil, err
	}

	a.Mux = http.NewServeMux()
	for _, app := range cfg.apps() {
		a.Mux.Handle("GET "+app.WeCom.CallbackPath, a.Callbacks[app.ID])
		a.Mux.Handle("POST "+app.WeCom.CallbackPath, a.Callbacks[app.ID])
	}
	a.Mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	a.Mux.HandleFunc("GET /readyz", a.ready)
	a.srv = newServer(a.Mux)
	if cfg.MetricsListen == "" {
		a.Mux.Handle("GET /metrics", a.Metrics.Handler())
	} else {
		mm := http.NewServeMux()
		mm.Handle("GET /metrics", a.Metrics.Handler())
		a.metricsSrv = newServer(mm)
	}
	return a, nil
}

// newCallback is one corp's callback endpoint.
func newCallback(a *App, app corpApp) (*wecom.Callback, error) {
	w := app.WeCom
	crypto, err := wecom.NewCrypto(w.Token, w.EncodingAESKey, w.CorpID)
	if err != nil {
		if app.ID != "" {
			return nil, fmt.Errorf("corps %s: %w", app.ID, err)
		}
		return nil, err
	}
	log := a.Log
	if app.ID != "" {
		log = log.With(slog.String("corp", app.ID))
	}
	return wecom.NewCallback(wecom.CallbackConfig{
		Crypto: crypto, CorpID: w.CorpID, Corp: app.ID, Handler: a.Bot, Outbox: a.Outbox, Log: log,
		Now:             func() time.Time { return a.Now() },
		TimestampWindow: w.TimestampWindow,
		ReplyDeadline:   w.ReplyDeadline,
		Observe:         a.Metrics.Callback,
	})
}

func newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
}

// ready reports whether Redis answers: without it no message can be
// stored (503). Sending paused by a WeCom configuration error is
// "degraded": still 200, since callbacks are answered and must keep
// coming, but the body says what to fix. Each corp's app pauses alone (its
// own trusted IPs, its own secret): the body names every paused corp.
func (a *App) ready(w http.ResponseWriter, r *http.Request) {
	if a.draining.Load() {
		http.Error(w, "stopping", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.Store.Ping(ctx); err != nil {
		http.Error(w, "redis unavailable", http.StatusServiceUnavailable)
		return
	}
	apps := a.Config.apps()
	ids := make([]string, len(apps))
	for i, app := range apps {
		ids[i] = app.ID
	}
	paused, err := a.Outbox.PausedCorps(ctx, ids)
	if err != nil {
		http.Error(w, "redis unavailable", http.StatusServiceUnavailable)
		return
	}
	if len(paused) == 0 {
		_, _ = w.Write([]byte("ready\n"))
		return
	}
	w.Header().Set("X-Partybot-Degraded", "wecom-config")
	var body strings.Builder
	var names []string
	for _, app := range apps {
		p, ok := paused[app.ID]
		if !ok {
			continue
		}
		if len(apps) == 1 { // a single corp's install reads as it always did
			fmt.Fprintf(&body, "degraded: sending paused for %s more: %s\n", p.Left.Round(time.Second), p.Reason)
			continue
		}
		name := cmp.Or(app.ID, bot.HomeCorp)
		names = append(names, name)
		if app.WeCom.Name != "" {
			name += " (" + app.WeCom.Name + ")"
		}
		fmt.Fprintf(&body, "degraded: sending through corp %s paused for %s more: %s\n", name, p.Left.Round(time.Second), p.Reason)
	}
	if len(names) > 0 {
		w.Header().Set("X-Partybot-Paused-Corps", strings.Join(names, ","))
		if len(names) < len(apps) {
			body.WriteString("the other corps keep sending\n")
		}
	}
	_, _ = w.Write([]byte(body.String()))
}

// CheckChats asks WeCom about every branch's chat_id: appchat/send takes
// only chats this app created through appchat/create, so any other id
// would fail on every summary. It logs which branch's chat is unusable.
func (a *App) CheckChats(ctx context.Context, branches []bot.Branch) error {
	var errs []error
	for _, br := range branches {
		if br.ChatID == "" {
			continue
		}
		if _, err := a.Corps.AppChat(ctx, br.ChatID); err != nil {
			a.Log.ErrorContext(ctx, "branch chat_id is not an app chat of this app; its group messages will fail. Create one with: partybot chat create -config F -branch "+br.ID+" -owner USERID",
				slog.String("branch", br.ID), slog.String("chat_id", br.ChatID), slog.Any("error", err))
			errs = append(errs, fmt.Errorf("branch %s: chat_id %s: %w", br.ID, br.ChatID, err))
		}
	}
	return errors.Join(errs...)
}

// Start listens (so a taken port fails here, not later) and serves in the
// background. A Redis that is down now is logged, not fatal: callbacks get
// 503 until it is back, and WeCom retries them.
func (a *App) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.Config.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	a.ln = ln
	if a.metricsSrv != nil {
		if a.metricsLn, err = net.Listen("tcp", a.Config.MetricsListen); err != nil {
			_ = ln.Close()
			return fmt.Errorf("metrics_listen: %w", err)
		}
		go func() {
			if err := a.metricsSrv.Serve(a.metricsLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				a.Log.Error("metrics server stopped", slog.Any("error", err))
			}
		}()
	}
	if err := a.Seed(ctx); err != nil {
		a.Log.Warn("redis unreachable; callbacks will get 503 until it answers; seeding the roster later",
			slog.String("addr", a.Config.Redis.Addr), slog.Any("error", err))
		go a.seedUntilDone(ctx)
	}
	if err := a.Worker.Start(); err != nil {
		_ = ln.Close()
		return err
	}
	if a.Config.WeCom.Secret != "" {
		branches := a.Config.org().Branches
		go func() { _ = a.CheckChats(ctx, branches) }() // logged; WeCom may be slow, start does not wait
	}
	a.Scheduler.Start()
	var cacheCtx context.Context
	cacheCtx, a.stopCache = context.WithCancel(context.WithoutCancel(ctx))
	go a.Members.Run(cacheCtx, memberCachePoll)
	go func() {
		if err := a.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Log.Error("http server stopped", slog.Any("error", err))
		}
	}()
	return nil
}

// Seed writes the config's org into Redis (see bot.SeedOrg).
func (a *App) Seed(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := bot.SeedOrg(ctx, a.Store, a.Store, a.Now(), a.Config.org())
	if err != nil {
		return err
	}
	if res.Added > 0 {
		a.Log.Info("roster seeded from config", slog.Int("members_added", res.Added))
	}
	if len(res.Granted) > 0 || len(res.Revoked) > 0 {
		a.Log.Warn("admins follow org.admins", slog.Any("granted", res.Granted), slog.Any("revoked", res.Revoked))
	}
	if len(res.RetiredBranches) > 0 {
		a.Log.Warn("branches no longer in the config are retired: no jobs, records kept", slog.Any("branches", res.RetiredBranches))
	}
	return nil
}

// seedUntilDone retries seeding while Redis is away.
func (a *App) seedUntilDone(ctx context.Context) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.Seed(ctx); err == nil {
				return
			}
		}
	}
}

// Addr is the address the server listens on (useful with port 0).
func (a *App) Addr() string {
	if a.ln == nil {
		return a.Config.Listen
	}
	return a.ln.Addr().String()
}

// MetricsAddr is the address /metrics is served on.
func (a *App) MetricsAddr() string {
	if a.metricsLn != nil {
		return a.metricsLn.Addr().String()
	}
	return a.Addr()
}

// Drain starts a stop: /readyz answers 503 from now on, while callbacks are
// still answered, so a load balancer moves traffic away first.
func (a *App) Drain() { a.draining.Store(true) }

// Close shuts down in order within shutdown_timeout: stop firing jobs and
// taking requests (in-flight callbacks finish), let late replies reach the
// outbox, let the worker finish its sends (a job still running is left to
// its lease: another replica retries it), then close Redis.
func (a *App) Close() error {
	a.Drain()
	ctx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
	defer cancel()
	a.Scheduler.Stop(ctx)
	err := a.srv.Shutdown(ctx)
	if a.metricsSrv != nil {
		err = errors.Join(err, a.metricsSrv.Shutdown(ctx))
	}
	for _, cb := range a.Callbacks {
		cb.Wait()
	}
	a.Worker.Shutdown()
	if a.stopCache != nil {
		a.stopCache()
	}
	// The outbox shares the store's Redis client: closing the store closes both.
	return errors.Join(err, a.Store.Close())
}

// transient is wecom.Transient, but a ledger refused to its requester is
// final: retrying would only refuse it again.
func transient(err error) bool {
	return !errors.Is(err, bot.ErrExportRefused) && wecom.Transient(err)
}
