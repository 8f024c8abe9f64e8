package main

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/wecom/wecomtest"
)

//go:embed web
var webFiles embed.FS

// Demo is partybot running with nothing installed: an embedded Redis
// (miniredis) unless one is given, an in-process fake of the qyapi API, and
// the real bot, callback endpoint and outbox wired to both, plus a browser
// simulator at / that sends real signed, encrypted callbacks.
type Demo struct {
	App  *App
	Fake *wecomtest.FakeAPI
	// PartnerFake is the second company's WeCom (联合党委): its own corp,
	// app and credentials.
	PartnerFake *wecomtest.FakeAPI
	mini        *miniredis.Miniredis
}

// demoMembers is the sample branch: one secretary, one committee member,
// three members (one probationary).
var demoMembers = []bot.Member{
	{UserID: "zhangshuji", Name: "张书记", BranchID: "demo", Role: bot.RoleSecretary, Status: bot.StatusFull, Joined: bot.Date{Year: 2008, Month: 7, Day: 1}, Active: true},
	{UserID: "wangfang", Name: "王芳", BranchID: "demo", Role: bot.RoleCommittee, Status: bot.StatusFull, Joined: bot.Date{Year: 2012, Month: 6, Day: 18}, Active: true},
	{UserID: "liming", Name: "李明", BranchID: "demo", Role: bot.RoleMember, Status: bot.StatusFull, Joined: bot.Date{Year: 2016, Month: 7, Day: 1}, Active: true},
	{UserID: "zhaoqiang", Name: "赵强", BranchID: "demo", Role: bot.RoleMember, Status: bot.StatusFull, Joined: bot.Date{Year: 2019, Month: 5, Day: 4}, Active: true},
	{UserID: "chenjing", Name: "陈静", BranchID: "demo", Role: bot.RoleMember, Status: bot.StatusProbationary, Joined: bot.Date{Year: 2025, Month: 7, Day: 1}, Active: true},
}

// The demo's second company (联合党委): a corps entry with its own fake
// WeCom, and a joint branch with members from both companies. 黎明 is
// partner/liming: the same userid as 李明 of the home corp, another person.
const (
	demoPartner       = "partner"
	demoPartnerName   = "合作网络公司"
	demoPartnerCorpID = "wwdemopartner001"
	demoPartnerSecret = "demo-partner-secret"
	demoJoint         = "joint"
)

var demoJointMembers = []bot.Member{
	{UserID: "sunli", Name: "孙丽", BranchID: demoJoint, Role: bot.RoleSecretary, Status: bot.StatusFull, Joined: bot.Date{Year: 2011, Month: 7, Day: 1}, Active: true},
	{UserID: "partner/zhoubo", Name: "周波", BranchID: demoJoint, Role: bot.RoleCommittee, Status: bot.StatusFull, Joined: bot.Date{Year: 2014, Month: 6, Day: 30}, Active: true},
	{UserID: "partner/wumin", Name: "吴敏", BranchID: demoJoint, Role: bot.RoleMember, Status: bot.StatusFull, Joined: bot.Date{Year: 2018, Month: 7, Day: 1}, Active: true},
	{UserID: "partner/liming", Name: "黎明", BranchID: demoJoint, Role: bot.RoleMember, Status: bot.StatusProbationary, Joined: bot.Date{Year: 2025, Month: 11, Day: 1}, Active: true},
}

// randomAlnum draws n letters and digits (a token or an EncodingAESKey).
func randomAlnum(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// demoConfig is the demo's configuration: fresh credentials every start.
func demoConfig(listen, redisAddr, apiBase, partnerAPIBase string) Config {
	cfg := DefaultConfig()
	cfg.Listen = listen
	cfg.Redis = RedisConfig{Addr: redisAddr, KeyPrefix: "partybot-demo:"}
	cfg.WeCom.Name = "示例科技公司"
	cfg.WeCom.CorpID, cfg.WeCom.AgentID, cfg.WeCom.Secret = "wwdemo0000000000", 1000002, "demo-secret"
	cfg.WeCom.Token, cfg.WeCom.EncodingAESKey = randomAlnum(24), randomAlnum(43)
	cfg.WeCom.APIBase = apiBase
	cfg.Rules.WeeklyStudyMinutes, cfg.Rules.WeeklyStudyReports = 120, 2
	cfg.Outbox.PollInterval = 200 * time.Millisecond
	var ids, secretaries, committee []string
	for _, m := range demoMembers {
		ids = append(ids, m.UserID)
		switch m.Role {
		case bot.RoleSecretary:
			secretaries = append(secretaries, m.UserID)
		case bot.RoleCommittee:
			committee = append(committee, m.UserID)
		}
	}
	cfg.Org = OrgConfig{Name: "示例公司党委", Branches: []BranchConfig{{
		ID: "demo", Name: "示例党支部", Secretaries: secretaries, Committee: committee, Members: ids, ChatID: "demochat",
	}}}
	cfg.Corps = []CorpConfig{{ID: demoPartner, Name: demoPartnerName, CorpID: demoPartnerCorpID, AgentID: 1000003,
		Secret: demoPartnerSecret, Token: randomAlnum(24), EncodingAESKey: randomAlnum(43), APIBase: partnerAPIBase}}
	joint := BranchConfig{ID: demoJoint, Name: "青年创客联合党支部"}
	for _, m := range demoJointMembers {
		joint.Members = append(joint.Members, m.UserID)
		switch m.Role {
		case bot.RoleSecretary:
			joint.Secretaries = append(joint.Secretaries, m.UserID)
		case bot.RoleCommittee:
			joint.Committee = append(joint.Committee, m.UserID)
		}
	}
	cfg.Org.Branches = append(cfg.Org.Branches, joint)
	return cfg
}

// DemoOptions are what the demo command's flags choose.
type DemoOptions struct {
	Listen string // address for the simulator and the callback endpoint
	Redis  string // host:port or socket; "" starts an embedded Redis
	// Empty starts the branch blank; otherwise it holds a few weeks of
	// sample history (written once per Redis).
	Empty bool
}

// StartDemo starts everything.
func StartDemo(ctx context.Context, opts DemoOptions, log *slog.Logger) (*Demo, error) {
	d := &Demo{Fake: wecomtest.NewFakeAPI("wwdemo0000000000", "demo-secret"), PartnerFake: wecomtest.NewFakeAPI(demoPartnerCorpID, demoPartnerSecret)}
	redisAddr := opts.Redis
	if redisAddr == "" {
		mr, err := miniredis.Run()
		if err != nil {
			d.close()
			return nil, fmt.Errorf("demo: embedded redis: %w", err)
		}
		d.mini, redisAddr = mr, mr.Addr()
	}
	cfg := demoConfig(opts.Listen, redisAddr, d.Fake.URL(), d.PartnerFake.URL())
	for _, br := range cfg.Org.Branches { // as if made by partybot chat create
		if br.ChatID != "" {
			d.Fake.AddAppChat(br.ChatID, br.Members...)
		}
	}
	if err := cfg.Validate(); err != nil {
		d.close()
		return nil, err
	}
	app, err := NewApp(cfg, log)
	if err != nil {
		d.close()
		return nil, err
	}
	d.App = app
	if err := app.Seed(ctx); err != nil {
		d.close()
		return nil, fmt.Errorf("demo: redis at %s: %w", redisAddr, err)
	}
	if err := app.Store.SaveMembers(ctx, slices.Concat(demoMembers, demoJointMembers)); err != nil { // names and statuses
		d.close()
		return nil, err
	}
	if !opts.Empty {
		if err := d.seedHistory(ctx); err != nil {
			d.close()
			return nil, err
		}
	}
	d.routes(app.Mux)
	if err := app.Start(ctx); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

// seedHistory gives the sample branch its past (see demoseed.go), once.
func (d *Demo) seedHistory(ctx context.Context) error {
	h, err := seedDemoHistory(ctx, d.App.Store, d.App.Bot.Calendar, d.App.Bot.Location, d.App.Now())
	if err != nil {
		return err
	}
	if h == nil {
		d.App.Log.Info("demo: this Redis already holds the sample history; not adding it again")
		return nil
	}
	d.App.Log.Info("demo: sample history written", slog.Int("checkins", h.checkins), slog.Int("study_reports", h.studies),
		slog.Int("meetings", h.meetings), slog.Int("announcements", h.announced))
	return nil
}

func (d *Demo) close() {
	d.Fake.Close()
	d.PartnerFake.Close()
	if d.mini != nil {
		d.mini.Close()
	}
}

// Close stops the demo.
func (d *Demo) Close() error {
	err := d.App.Close()
	d.close()
	return err
}

// URL is where the simulator is served.
func (d *Demo) URL() string { return "http://" + d.App.Addr() + "/" }

func (d *Demo) routes(mux *http.ServeMux) {
	static, _ := fs.Sub(webFiles, "web")
	mux.Handle("GET /", http.FileServerFS(static))
	mux.HandleFunc("GET /demo/api/session", d.session)
	mux.HandleFunc("GET /demo/api/pushed", d.pushed)
	mux.HandleFunc("GET /demo/api/media/{id}", d.media)
	mux.HandleFunc("GET /demo/api/media/{corp}/{id}", d.media)
	mux.HandleFunc("POST /demo/api/jobs/{name}", d.runJob)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

// session tells the page what WeCom's servers would know: each company's
// app credentials (throwaway, made at start) and who the members are.
func (d *Demo) session(w http.ResponseWriter, r *http.Request) {
	cfg := d.App.Config
	type member struct {
		UserID  string `json:"userid"`
		Name    string `json:"name"`
		Role    string `json:"role"`
		Corp    string `json:"corp"` // "" the home corp
		Branch  string `json:"branch"`
		Company string `json:"company"`
	}
	companies := map[string]string{}
	var corps []map[string]any
	for _, app := range cfg.apps() {
		companies[app.ID] = app.WeCom.Name
		corps = append(corps, map[string]any{"id": app.ID, "name": app.WeCom.Name, "callback": app.WeCom.CallbackPath,
			"corp_id": app.WeCom.CorpID, "agent_id": app.WeCom.AgentID, "token": app.WeCom.Token, "aes_key": app.WeCom.EncodingAESKey})
	}
	var ms []member
	// Each branch in the sample's order (the secretary first); the 发展
	// path's people talk to the bot too (入党进度, 思想汇报).
	for _, br := range []struct {
		id     string
		sample []bot.Member
	}{{"demo", demoMembers}, {demoJoint, demoJointMembers}} {
		members, err := d.App.Store.BranchMembers(r.Context(), br.id)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		for _, m := range br.sample {
			if i := slices.IndexFunc(members, func(x bot.Member) bool { return x.UserID == m.UserID }); i >= 0 {
				corp := bot.CorpOf(m.UserID)
				ms = append(ms, member{m.UserID, members[i].DisplayName(), members[i].Role.Label(), corp, br.id, companies[corp]})
			}
		}
		applicants, err := d.App.Store.BranchApplicants(r.Context(), br.id)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		for _, a := range applicants {
			if a.OnPath() {
				corp := bot.CorpOf(a.UserID)
				ms = append(ms, member{a.UserID, a.DisplayName(), string(a.Stage()), corp, br.id, companies[corp]})
			}
		}
	}
	var branches []map[string]string
	for _, b := range cfg.Org.Branches {
		branches = append(branches, map[string]string{"id": b.ID, "name": b.Name})
	}
	writeJSON(w, map[string]any{
		"callback": cfg.WeCom.CallbackPath, "corp_id": cfg.WeCom.CorpID, "agent_id": cfg.WeCom.AgentID,
		"token": cfg.WeCom.Token, "aes_key": cfg.WeCom.EncodingAESKey, "corps": corps, "branches": branches,
		"members": ms, "jobs": bot.JobNames(),
		"chat": map[string]string{"id": "demochat", "name": "示例党支部群"},
	})
}

// pushed lists what the bot sent through the (fake) APIs since index n of
// the home corp's calls (since) and the partner's (psince). A partner's
// message names its members as the partner knows them (wumin): the page
// knows them as partner/wumin.
func (d *Demo) pushed(w http.ResponseWriter, r *http.Request) {
	type message struct {
		To       []string       `json:"to,omitempty"`
		Chat     string         `json:"chat,omitempty"`
		Type     string         `json:"type"`
		Text     string         `json:"text,omitempty"`
		Card     map[string]any `json:"card,omitempty"`
		ImageURL string         `json:"image_url,omitempty"`
		Via      string         `json:"via,omitempty"` // "robot": the group robot posted it
		FileURL  string         `json:"file_url,omitempty"`
	}
	out := []message{}
	read := func(fake *wecomtest.FakeAPI, param, corp, mediaPath string) int {
		var since int
		_, _ = fmt.Sscan(r.URL.Query().Get(param), &since)
		calls, next := fake.CallsSince(since)
		for _, c := range calls {
			if c.API == "webhook/send" { // the demo has one group: the robot's and the app chat are one
				text, _ := c.Body["text"].(map[string]any)
				content, _ := text["content"].(string)
				out = append(out, message{Chat: "demochat", Type: "text", Text: content, Via: "robot"})
				continue
			}
			if c.API != "message/send" && c.API != "appchat/send" {
				continue
			}
			typ, _ := c.Body["msgtype"].(string)
			m := message{Type: typ}
			if to, _ := c.Body["touser"].(string); to != "" {
				for _, u := range strings.Split(to, "|") {
					m.To = append(m.To, bot.Qualify(corp, u))
				}
			}
			if chat, _ := c.Body["chatid"].(string); chat != "" {
				m.Chat = bot.MemberID(corp, chat)
			}
			body, _ := c.Body[typ].(map[string]any)
			switch typ {
			case "text", "markdown":
				m.Text, _ = body["content"].(string)
			case "template_card":
				m.Card = body
			case "image":
				id, _ := body["media_id"].(string)
				m.ImageURL = mediaPath + id
			case "file":
				id, _ := body["media_id"].(string)
				m.Text, m.FileURL = "📎 "+fake.MediaName(id), mediaPath+id
			}
			out = append(out, m)
		}
		return next
	}
	next := read(d.Fake, "since", "", "/demo/api/media/")
	pnext := read(d.PartnerFake, "psince", demoPartner, "/demo/api/media/"+demoPartner+"/")
	writeJSON(w, map[string]any{"next": next, "pnext": pnext, "messages": out})
}

func (d *Demo) media(w http.ResponseWriter, r *http.Request) {
	fake := d.Fake
	if r.PathValue("corp") == demoPartner {
		fake = d.PartnerFake
	}
	data, ok := fake.Media(r.PathValue("id"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	if name := fake.MediaName(r.PathValue("id")); strings.HasSuffix(name, ".xlsx") {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name))
	} else {
		w.Header().Set("Content-Type", http.DetectContentType(data))
	}
	_, _ = w.Write(data)
}

// runJob fires a scheduled job now, through the same outbox as cron.
func (d *Demo) runJob(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !slices.Contains(bot.JobNames(), name) {
		http.Error(w, "unknown job", http.StatusNotFound)
		return
	}
	fire := time.Now().Truncate(time.Second)
	enqueued, err := d.App.Scheduler.RunNow(r.Context(), name, fire)
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	writeJSON(w, map[string]any{"enqueued": enqueued, "fire": fire})
}

func demoCmd(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "address for the simulator and the callback endpoint")
	redisAddr := fs.String("redis", "", "use this Redis (host:port or socket) instead of the embedded one")
	empty := fs.Bool("empty", false, "start with a blank branch instead of a few weeks of sample history")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	redis.SetLogger(redisLogger{log.With(slog.String("component", "go-redis"))})
	d, err := StartDemo(ctx, DemoOptions{Listen: *listen, Redis: *redisAddr, Empty: *empty}, log)
	if err != nil {
		return err
	}
	if host, _, _ := net.SplitHostPort(d.App.Addr()); !net.ParseIP(host).IsLoopback() {
		log.Warn("the demo serves its app token and AES key to any browser: anyone who can reach " +
			d.App.Addr() + " can act as any sample member. Keep it on 127.0.0.1 unless that is what you want.")
	}
	fmt.Fprintf(stderr, "\n  党建助手 demo: open %s in a browser (Ctrl-C to stop)\n\n", d.URL())
	<-ctx.Done()
	return d.Close()
}
