// Command partybot runs the 党建助手 WeCom bot.
//
//	partybot demo                        try it in a browser, nothing to install
//	partybot serve -config FILE          run the bot
//	partybot config check -config FILE   validate, print the effective config (secrets redacted)
//	partybot roster import|list|sync     manage the roster in Redis
//	partybot jobs list|run               scheduled jobs: list them, run one now
//	partybot chat create|check           branch app group chats
//	partybot export -config FILE         write the ledger (台账) as .xlsx or CSV
//	partybot archive                     move closed years out of Redis
//	partybot healthcheck                 probe a running bot's /readyz (for containers)
//	partybot version                     print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // the org time zone must load in minimal images too

	"github.com/redis/go-redis/v9"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

const usage = `partybot — 党建助手 WeCom bot

Usage:
  partybot demo [-listen ADDR] [-redis ADDR]   try it: embedded Redis, fake WeCom, browser simulator
  partybot serve -config FILE          run the bot
  partybot config check -config FILE   validate and print the effective config
  partybot roster import|list|sync -config FILE   manage members (see 'partybot roster')
  partybot jobs list|run -config FILE [NAME]        scheduled jobs (see 'partybot jobs')
  partybot chat create|check -config FILE           branch group chats (see 'partybot chat')
  partybot export -config FILE [-branch ID|-all] -from D -to D -o FILE.xlsx [-format csv]   the ledger (台账)
  partybot archive -config FILE -before YYYY-01-01 -o FILE [-dry-run]   move closed years out of Redis
  partybot member export|erase -config FILE -user ID   a member's personal data (see 'partybot member')
  partybot healthcheck [-url URL]      exit 0 if /readyz answers 200 (container health checks)
  partybot version                     print the version
`

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch cmd := strings.Join(args[:min(2, len(args))], " "); {
	case args[0] == "demo":
		err = demoCmd(ctx, args[1:], stderr)
	case args[0] == "serve":
		err = serve(ctx, args[1:], stderr, getenv)
	case cmd == "config check":
		err = configCheck(args[2:], stdout, stderr, getenv)
	case args[0] == "roster":
		err = rosterCmd(ctx, args[1:], stdout, stderr, getenv)
	case args[0] == "jobs":
		err = jobsCmd(ctx, args[1:], stdout, stderr, getenv)
	case args[0] == "chat":
		err = chatCmd(ctx, args[1:], stdout, stderr, getenv)
	case args[0] == "export":
		err = exportCmd(ctx, args[1:], stdout, stderr, getenv)
	case args[0] == "archive":
		err = archiveCmd(ctx, args[1:], stdout, stderr, getenv)
	case args[0] == "member":
		err = memberCmd(ctx, args[1:], stdout, stderr, getenv)
	case args[0] == "bench": // the load measurement (make load); not in the help
		err = benchCmd(ctx, args[1:], stdout, stderr)
	case args[0] == "healthcheck": // for container health checks (no shell, no curl)
		err = healthcheck(ctx, args[1:], stderr)
	case args[0] == "version":
		fmt.Fprintln(stdout, "partybot", version)
	case args[0] == "help" || args[0] == "-h" || args[0] == "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", strings.Join(args, " "), usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "partybot:", err)
		return 1
	}
	return 0
}

// configFlag parses the -config flag shared by subcommands.
func configFlag(name string, args []string, stderr io.Writer) (string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "config.yaml", "configuration file (YAML)")
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() > 0 {
		return "", fmt.Errorf("%s: unexpected arguments %v", name, fs.Args())
	}
	return *path, nil
}

func configCheck(args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	path, err := configFlag("config check", args, stderr)
	if err != nil {
		return err
	}
	cfg, err := LoadConfig(path, getenv)
	if err != nil {
		return err
	}
	out, err := cfg.Redacted().YAML()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "# %s is valid. Effective configuration (secrets redacted):\n%s", path, out)
	return nil
}

func serve(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) error {
	path, err := configFlag("serve", args, stderr)
	if err != nil {
		return err
	}
	cfg, err := LoadConfig(path, getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	redis.SetLogger(redisLogger{log.With(slog.String("component", "go-redis"))})

	app, err := NewApp(cfg, log)
	if err != nil {
		return err
	}
	if err := app.Start(ctx); err != nil {
		return err
	}
	var callbacks []string
	for _, c := range cfg.apps() {
		callbacks = append(callbacks, c.WeCom.CallbackPath)
	}
	log.Info("partybot serving", slog.String("version", version), slog.String("addr", app.Addr()),
		slog.String("callback", strings.Join(callbacks, " ")), slog.String("metrics", app.MetricsAddr()+"/metrics"))
	<-ctx.Done()
	return stopGracefully(app, log)
}

// stopGracefully stops after the first SIGTERM or SIGINT: /readyz turns 503
// at once, callbacks keep being answered for shutdown_drain, then the app
// closes within shutdown_timeout. A second signal exits at once.
func stopGracefully(app *App, log *slog.Logger) error {
	again := make(chan os.Signal, 1)
	signal.Notify(again, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(again)
	log.Info("stopping: /readyz now answers 503; a second signal exits at once",
		slog.Duration("drain", app.Config.ShutdownDrain), slog.Duration("timeout", app.Config.ShutdownTimeout))
	app.Drain()
	done := make(chan error, 1)
	go func() {
		time.Sleep(app.Config.ShutdownDrain)
		done <- app.Close()
	}()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("stop: %w", err)
		}
		log.Info("stopped")
		return nil
	case <-again:
		return errors.New("stopped at once by a second signal")
	}
}

// newLogger logs at log_level in log_format (text or json).
func newLogger(cfg Config, w io.Writer) *slog.Logger {
	level, _ := parseLogLevel(cfg.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// healthcheck GETs a URL (default the local /readyz) and fails unless 200.
func healthcheck(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "http://127.0.0.1:8080/readyz", "the URL to check")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: 3 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", *url, resp.Status)
	}
	return nil
}

// redisLogger routes go-redis's own messages (a process-wide setting of
// that library, set once here) through slog instead of the standard logger.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, fmt.Sprintf(format, v...))
}

func parseLogLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("%q is not one of debug, info, warn, error", s)
	}
	return l, nil
}
