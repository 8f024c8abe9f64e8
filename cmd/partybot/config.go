package main

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/outbox"
	"github.com/partybot/partybot/bot/schedule"
	"github.com/partybot/partybot/bot/wecom"
	"github.com/partybot/partybot/store"
)

// Config is the YAML configuration file (config.example.yaml documents it).
type Config struct {
	Listen    string `yaml:"listen"`
	Timezone  string `yaml:"timezone"`
	LogLevel  string `yaml:"log_level"`
	LogFormat string `yaml:"log_format"` // text or json
	// MetricsListen serves /metrics on its own address (keep it off the
	// internet); "" serves it beside the callback on listen.
	MetricsListen string `yaml:"metrics_listen"`
	// ShutdownTimeout bounds a graceful stop; ShutdownDrain is how long
	// /readyz answers 503 before the listener closes, so a load balancer
	// stops sending first.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	ShutdownDrain   time.Duration `yaml:"shutdown_drain"`
	Redis           RedisConfig   `yaml:"redis"`
	WeCom           WeComConfig   `yaml:"wecom"`
	// Corps are further companies of a 联合党委, each its own WeCom corp
	// with its own self-built app (README: 联合党委).
	Corps     []CorpConfig      `yaml:"corps"`
	Calendar  CalendarConfig    `yaml:"calendar"`
	Rules     RulesConfig       `yaml:"rules"`
	Schedule  map[string]string `yaml:"schedule"`
	Outbox    OutboxConfig      `yaml:"outbox"`
	Retention RetentionConfig   `yaml:"retention"`
	Org       OrgConfig         `yaml:"org"`
}

// CalendarConfig adds to the shipped China work calendar.
type CalendarConfig struct {
	Holidays []string `yaml:"holidays"` // extra rest days, YYYY-MM-DD
	Workdays []string `yaml:"workdays"` // extra make-up working days (调休上班)
}

// RetentionConfig says how long personal data that is not ledger is kept.
type RetentionConfig struct {
	LocationDays int `yaml:"location_days"` // a check-in's attached location
}

// OutboxConfig is the outbox section: the outbox's own Config (its queue
// names and shutdown timeout are derived, not configured).
type OutboxConfig = outbox.Config

// DefaultSchedule is when jobs fire (six fields: seconds first): the job
// table's defaults.
func DefaultSchedule() map[string]string { return bot.DefaultSchedule() }

// RulesConfig holds the branch rules the bot enforces.
type RulesConfig struct {
	MeetingSignInWindow time.Duration `yaml:"meeting_signin_window"`
	PartyLectureCadence string        `yaml:"party_lecture_cadence"` // monthly, quarterly, yearly
	WeeklyStudyMinutes  int           `yaml:"weekly_study_minutes"`  // 0: no target
	WeeklyStudyReports  int           `yaml:"weekly_study_reports"`  // 0: no target
	Leaderboard         bool          `yaml:"leaderboard"`           // allow 排行; off by default
	PoliticalBirthday   bool          `yaml:"political_birthday"`    // greet members on their 政治生日; on by default
	// CheckinReminder turns the daily 签到 reminder on for every branch
	// (org.branches[].checkin_reminder overrides it per branch); off by
	// default: no rule asks for a daily 打卡.
	CheckinReminder bool `yaml:"checkin_reminder"`
	// DuesPrepayMonths is how many months ahead 党费 may be paid (the 2008
	// 规定 allows it with the branch's consent); 0–12, 0 forbids it, 6 by default.
	DuesPrepayMonths int `yaml:"dues_prepay_months"`
}

// maxDuesPrepayMonths bounds rules.dues_prepay_months: a year ahead.
const maxDuesPrepayMonths = 12

// defaultDuesPrepayMonths is how far ahead 党费 may be paid by default.
const defaultDuesPrepayMonths = 6

// RedisConfig is the redis section: the store's own Config, which knows
// its YAML names and its rules (store.Config.Problems).
type RedisConfig = store.Config

// WeComConfig is the self-built app's credentials and callback settings.
type WeComConfig struct {
	// Name is the home corp's company name, as the 成绩单 shows it.
	Name            string        `yaml:"name"`
	CorpID          string        `yaml:"corp_id"`
	AgentID         int           `yaml:"agent_id"`
	Secret          string        `yaml:"secret"`
	Token           string        `yaml:"token"`
	EncodingAESKey  string        `yaml:"encoding_aes_key"`
	APIBase         string        `yaml:"api_base"`
	APITimeout      time.Duration `yaml:"api_timeout"`
	CallbackPath    string        `yaml:"callback_path"`
	TimestampWindow time.Duration `yaml:"timestamp_window"`
	ReplyDeadline   time.Duration `yaml:"reply_deadline"`
	// PlainText sends every card and markdown message as text, for members
	// who read WeCom inside WeChat (微工作台), which shows neither.
	PlainText bool `yaml:"plain_text"`
}

// CorpConfig is one further company: its WeCom corp and the self-built
// app partybot runs as there. Members of it are "id/userid" in the org.
type CorpConfig struct {
	ID             string `yaml:"id"`
	Name           string `yaml:"name"`
	CorpID         string `yaml:"corp_id"`
	AgentID        int    `yaml:"agent_id"`
	Secret         string `yaml:"secret"`
	Token          string `yaml:"token"`
	EncodingAESKey string `yaml:"encoding_aes_key"`
	CallbackPath   string `yaml:"callback_path"` // default /wecom/callback/<id>
	APIBase        string `yaml:"api_base"`      // default wecom.api_base
}

// WeCom is the corp's settings in the wecom section's shape: timeouts,
// windows and plain_text are the home corp's, shared by every corp.
func (c CorpConfig) WeCom(home WeComConfig) WeComConfig {
	w := home
	w.Name, w.CorpID, w.AgentID, w.Secret, w.Token, w.EncodingAESKey = c.Name, c.CorpID, c.AgentID, c.Secret, c.Token, c.EncodingAESKey
	w.CallbackPath = cmp.Or(c.CallbackPath, wecom.DefaultCallbackPath+"/"+c.ID)
	w.APIBase = cmp.Or(c.APIBase, home.APIBase)
	return w
}

// corpApp is one corp partybot serves: the home corp (ID "") or a corps
// entry, with its settings complete.
type corpApp struct {
	ID    string
	WeCom WeComConfig
}

// apps lists every corp, the home corp first.
func (c Config) apps() []corpApp {
	out := []corpApp{{ID: "", WeCom: c.WeCom}}
	for _, corp := range c.Corps {
		out = append(out, corpApp{ID: corp.ID, WeCom: corp.WeCom(c.WeCom)})
	}
	return out
}

// validateCorps checks the corps entries one by one and against each other
// and the home corp: ids, callback paths and corp_ids are each used once.
func (c Config) validateCorps(p *problems) {
	ids := map[string]int{}
	paths := map[string]string{c.WeCom.CallbackPath: "wecom"}
	corpIDs := map[string]string{}
	if c.WeCom.CorpID != "" {
		corpIDs[c.WeCom.CorpID] = "wecom"
	}
	for i, corp := range c.Corps {
		field := fmt.Sprintf("corps[%d]", i)
		switch j, dup := ids[corp.ID]; {
		case !bot.ValidCorpID(corp.ID):
			p.add("%s.id: %q must be 1-32 of a-z, 0-9, '_' or '-', starting with a letter or digit, and not %q (it names the home corp)", field, corp.ID, bot.HomeCorp)
		case dup:
			p.add("%s.id: %q is already corps[%d]", field, corp.ID, j)
		}
		ids[corp.ID] = i
		if corp.Name == "" {
			p.add("%s.name: required, the company's name (the 成绩单 shows it)", field)
		}
		w := corp.WeCom(c.WeCom)
		w.validateApp(field, corp.ID, p)
		if other, dup := paths[w.CallbackPath]; dup {
			p.add("%s.callback_path: %s is already %s's", field, w.CallbackPath, other)
		}
		paths[w.CallbackPath] = field
		if other, dup := corpIDs[w.CorpID]; dup && w.CorpID != "" {
			p.add("%s.corp_id: already %s's: one entry per corp", field, other)
		}
		corpIDs[w.CorpID] = field
	}
}

// OrgConfig seeds the organisation.
type OrgConfig struct {
	Name     string         `yaml:"name"`
	Admins   []string       `yaml:"admins"`
	Branches []BranchConfig `yaml:"branches"`
}

// BranchConfig is one branch in the config file.
type BranchConfig struct {
	ID          string   `yaml:"id"`
	Name        string   `yaml:"name"`
	Secretaries []string `yaml:"secretaries"`
	Committee   []string `yaml:"committee"`
	Members     []string `yaml:"members"`
	ChatID      string   `yaml:"chat_id"`
	// RobotKey is the key of the branch group's robot webhook (群机器人):
	// a secret, kept here and in memory only, never in Redis.
	RobotKey      string `yaml:"robot_key"`
	DuesDay       int    `yaml:"dues_day"` // 党费 collection day, 1–31 (0: the 5th)
	DepartmentIDs []int  `yaml:"department_ids"`
	// Company marks a single-company branch with its corps entry's id: its
	// department_ids and chat_id are that corp's. Unset: the home corp, or a
	// joint branch (members from several corps).
	Company string `yaml:"company"`
	// Groups are the branch's 党小组, each with the members the config puts
	// in it (the roster import's group column may put others).
	Groups []GroupConfig `yaml:"groups"`
	// Cadence overrides what the branch owes, per meeting type (支委会 or
	// committee, 党小组会 or group, …): monthly, quarterly, yearly, or none
	// (支委会 and 党小组会 only). Unnamed types follow the branch's structure.
	Cadence map[string]string `yaml:"cadence"`
	// CheckinReminder, when set, turns this branch's daily 签到 reminder on
	// or off whatever rules.checkin_reminder says.
	CheckinReminder *bool `yaml:"checkin_reminder,omitempty"`
}

// GroupConfig is one 党小组 of a branch.
type GroupConfig struct {
	Name    string   `yaml:"name"`
	Members []string `yaml:"members"`
}

// optionalTypes may be set to none: a branch owes them only where it has a
// committee or groups (支部工作条例); the others every branch owes.
var optionalTypes = []bot.MeetingType{bot.MeetingCommittee, bot.MeetingGroup}

// validateCadence checks a branch's cadence overrides.
func (b BranchConfig) validateCadence(i int, p *problems) {
	seen := map[bot.MeetingType]string{}
	for _, key := range slices.Sorted(maps.Keys(b.Cadence)) {
		field := fmt.Sprintf("org.branches[%d].cadence.%s", i, key)
		typ, ok := bot.ParseMeetingType(key)
		if !ok {
			p.add("%s: not a meeting type; use 党员大会 (general), 支委会 (committee), 党小组会 (group), 党课 (lecture), 主题党日 (theme_day) or 组织生活会 (life_meeting)", field)
			continue
		}
		if other, dup := seen[typ]; dup {
			p.add("%s: %s is already set as %s", field, typ, other)
			continue
		}
		seen[typ] = key
		c, ok := bot.ParseBranchCadence(b.Cadence[key])
		switch {
		case !ok:
			p.add("%s: %q must be monthly, quarterly, yearly or none", field, b.Cadence[key])
		case c == bot.NotRequired && !slices.Contains(optionalTypes, typ):
			p.add("%s: every branch owes a %s (支部工作条例); none is only for 支委会 and 党小组会", field, typ)
		}
	}
}

// robotKeys maps branch ids to their group robots' webhook keys.
func (o OrgConfig) robotKeys() map[string]string {
	out := map[string]string{}
	for _, b := range o.Branches {
		if b.RobotKey != "" {
			out[b.ID] = b.RobotKey
		}
	}
	return out
}

// DefaultConfig is what a file leaves unset. Each number comes from the
// package that uses it, so the code and the config agree.
func DefaultConfig() Config {
	return Config{
		Listen:   "127.0.0.1:8080",
		Timezone: "Asia/Shanghai",
		LogLevel: "info", LogFormat: "text", ShutdownTimeout: 20 * time.Second, ShutdownDrain: 2 * time.Second,
		Redis:     RedisConfig{KeyPrefix: "partybot:"}, // addr: store.DefaultAddr unless addrs are given
		Rules:     RulesConfig{MeetingSignInWindow: bot.DefaultSignInWindow, PartyLectureCadence: "quarterly", PoliticalBirthday: true, DuesPrepayMonths: defaultDuesPrepayMonths},
		Schedule:  DefaultSchedule(),
		Retention: RetentionConfig{LocationDays: store.DefaultLocationDays},
		Outbox:    outbox.DefaultConfig(),
		WeCom: WeComConfig{
			APIBase:         wecom.DefaultAPIBase,
			APITimeout:      wecom.DefaultAPITimeout,
			CallbackPath:    wecom.DefaultCallbackPath,
			TimestampWindow: wecom.DefaultTimestampWindow,
			ReplyDeadline:   wecom.DefaultReplyDeadline,
		},
	}
}

// Environment variables that override secrets in the file.
var secretEnv = []struct {
	name string
	dst  func(*Config) *string
}{
	{"PARTYBOT_WECOM_SECRET", func(c *Config) *string { return &c.WeCom.Secret }},
	{"PARTYBOT_WECOM_TOKEN", func(c *Config) *string { return &c.WeCom.Token }},
	{"PARTYBOT_WECOM_ENCODING_AES_KEY", func(c *Config) *string { return &c.WeCom.EncodingAESKey }},
	{"PARTYBOT_REDIS_PASSWORD", func(c *Config) *string { return &c.Redis.Password }},
}

// LoadConfig reads a file over the defaults, applies env overrides and validates.
func LoadConfig(path string, getenv func(string) string) (Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return ParseConfig(raw, getenv)
}

// ParseConfig is LoadConfig on bytes. Unknown keys are errors: a typo must
// not silently fall back to a default.
func ParseConfig(raw []byte, getenv func(string) string) (Config, error) {
	cfg := DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if cfg.Redis.Addr == "" && len(cfg.Redis.Addrs) == 0 {
		cfg.Redis.Addr = store.DefaultAddr
	}
	for _, e := range secretEnv {
		if v := getenv(e.name); v != "" {
			*e.dst(&cfg) = v
		}
	}
	for i := range cfg.Corps {
		for _, p := range cfg.Corps[i].secrets() {
			if v := getenv(corpEnv(cfg.Corps[i].ID, p.key)); v != "" {
				*p.value = v
			}
		}
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

var (
	tokenPattern  = regexp.MustCompile(`^[A-Za-z0-9]{1,32}$`)
	aesKeyPattern = regexp.MustCompile(`^[A-Za-z0-9]{43}$`)
)

// problems collects validation messages, each naming the key at fault.
type problems []error

func (p *problems) add(format string, args ...any) {
	*p = append(*p, fmt.Errorf("config: "+format, args...))
}

// Validate checks the config, section by section.
func (c Config) Validate() error {
	var p problems
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		p.add("listen: %q is not host:port", c.Listen)
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil || c.Timezone == "" {
		p.add("timezone: %q is not an IANA time zone such as Asia/Shanghai", c.Timezone)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		p.add("log_format: %q is not text or json", c.LogFormat)
	}
	if c.MetricsListen != "" {
		if _, _, err := net.SplitHostPort(c.MetricsListen); err != nil {
			p.add("metrics_listen: %q is not host:port", c.MetricsListen)
		}
	}
	if c.ShutdownTimeout <= 0 || c.ShutdownDrain < 0 || c.ShutdownDrain >= c.ShutdownTimeout {
		p.add("shutdown_timeout %s, shutdown_drain %s: the timeout must be positive and longer than the drain", c.ShutdownTimeout, c.ShutdownDrain)
	}
	if _, err := parseLogLevel(c.LogLevel); err != nil {
		p.add("log_level: %v", err)
	}
	for _, problem := range c.Redis.Problems() {
		p.add("%s", problem)
	}
	c.WeCom.validate(&p)
	c.validateCorps(&p)
	if _, err := bot.NewChinaCalendar(c.Calendar.Holidays, c.Calendar.Workdays); err != nil {
		p.add("%v", err)
	}
	c.Rules.validate(&p)
	validateSchedule(c.Schedule, &p)
	validateOutbox(c.Outbox, &p)
	if c.Retention.LocationDays < 1 || c.Retention.LocationDays > 3650 {
		p.add("retention.location_days: %d must be between 1 and 3650", c.Retention.LocationDays)
	}
	if err := c.org().Validate(); err != nil {
		p = append(p, fmt.Errorf("config: %w", err))
	}
	for i, b := range c.Org.Branches {
		if b.DuesDay < 0 || b.DuesDay > 31 {
			p.add("org.branches[%d].dues_day: %d is not a day of the month (1–31; a short month collects on its last day)", i, b.DuesDay)
		}
		b.validateCadence(i, &p)
		if b.RobotKey != "" && !robotKeyPattern.MatchString(b.RobotKey) {
			// The key is a secret: say what is wrong with it, not what it is.
			p.add("org.branches[%d].robot_key: not a webhook key (letters, digits and -, 8 to 128; the part after key= in the robot's webhook URL)", i)
		}
	}
	return errors.Join(p...)
}

// robotKeyPattern is what a group robot's webhook key looks like (a UUID).
var robotKeyPattern = regexp.MustCompile(`^[A-Za-z0-9-]{8,128}$`)

func (w WeComConfig) validate(p *problems) {
	w.validateApp("wecom", "", p)
	if w.APITimeout <= 0 {
		p.add("wecom.api_timeout: must be positive, e.g. 10s")
	}
	if w.TimestampWindow <= 0 {
		p.add("wecom.timestamp_window: must be positive, e.g. 10m")
	}
	if w.ReplyDeadline <= 0 || w.ReplyDeadline >= 5*time.Second {
		p.add("wecom.reply_deadline: %s must be between 0 and 5s (WeCom waits 5 s)", w.ReplyDeadline)
	}
}

// validateApp checks one corp's app: the wecom section or a corps entry
// (field names which; each secret may come from its environment variable).
func (w WeComConfig) validateApp(field, corp string, p *problems) {
	env := func(key string) string { return corpEnv(corp, key) }
	if w.CorpID == "" {
		p.add("%s.corp_id: required (我的企业 → 企业信息 → 企业ID)", field)
	}
	if w.AgentID <= 0 {
		p.add("%s.agent_id: required, the app's AgentId", field)
	}
	if !tokenPattern.MatchString(w.Token) {
		p.add("%s.token: 1-32 letters or digits required (or set %s)", field, env("TOKEN"))
	}
	if !aesKeyPattern.MatchString(w.EncodingAESKey) {
		p.add("%s.encoding_aes_key: 43 letters or digits required (or set %s)", field, env("ENCODING_AES_KEY"))
	}
	if !strings.HasPrefix(w.APIBase, "http://") && !strings.HasPrefix(w.APIBase, "https://") {
		p.add("%s.api_base: %q must start with https://", field, w.APIBase)
	}
	if !strings.HasPrefix(w.CallbackPath, "/") {
		p.add("%s.callback_path: %q must start with /", field, w.CallbackPath)
	}
}

func (r RulesConfig) validate(p *problems) {
	if r.MeetingSignInWindow < time.Minute || r.MeetingSignInWindow > 24*time.Hour {
		p.add("rules.meeting_signin_window: %s must be between 1m and 24h", r.MeetingSignInWindow)
	}
	if r.WeeklyStudyMinutes < 0 || r.WeeklyStudyMinutes > 7*24*60 {
		p.add("rules.weekly_study_minutes: %d must be between 0 and 10080", r.WeeklyStudyMinutes)
	}
	if r.WeeklyStudyReports < 0 || r.WeeklyStudyReports > 100 {
		p.add("rules.weekly_study_reports: %d must be between 0 and 100", r.WeeklyStudyReports)
	}
	if _, ok := bot.ParseCadence(r.PartyLectureCadence); !ok {
		p.add("rules.party_lecture_cadence: %q must be monthly, quarterly or yearly", r.PartyLectureCadence)
	}
	if r.DuesPrepayMonths < 0 || r.DuesPrepayMonths > maxDuesPrepayMonths {
		p.add("rules.dues_prepay_months: %d must be between 0 (no paying ahead) and %d", r.DuesPrepayMonths, maxDuesPrepayMonths)
	}
}

func validateSchedule(sched map[string]string, p *problems) {
	for _, name := range slices.Sorted(maps.Keys(sched)) {
		if _, ok := bot.LookupJob(name); !ok {
			p.add("schedule.%s: unknown job; jobs are %s", name, strings.Join(bot.JobNames(), ", "))
		} else if spec := sched[name]; spec != "" {
			if _, err := schedule.Parse(spec); err != nil {
				p.add("schedule.%s: %q is not a six-field cron spec (sec min hour dom month dow): %v", name, spec, err)
			}
		}
	}
}

func validateOutbox(o outbox.Config, p *problems) {
	if o.Concurrency < 1 || o.MaxRetry < 0 || o.RetryBase <= 0 || o.RateLimitWait <= 0 || o.ConfigPause <= 0 || o.PollInterval <= 0 {
		p.add("outbox: concurrency ≥ 1, max_retry ≥ 0 and positive retry_base, rate_limit_wait, config_pause, poll_interval are required")
	}
}

// org converts the org section, with the companies the wecom and corps
// sections name, into the bot's types.
func (c Config) org() bot.Org {
	org := c.Org.domain()
	for _, app := range c.apps() {
		org.Companies = append(org.Companies, bot.Company{ID: app.ID, Name: app.WeCom.Name})
	}
	return org
}

// domain converts the org section into the bot's types. A single-company
// branch's chat_id is its company's app chat: "corp/chatid" to the bot.
func (o OrgConfig) domain() bot.Org {
	org := bot.Org{Name: o.Name, Admins: o.Admins}
	for _, b := range o.Branches {
		br := bot.Branch{
			ID: b.ID, Name: b.Name, ChatID: b.ChatID, Robot: b.RobotKey != "", DuesDay: b.DuesDay, DepartmentIDs: b.DepartmentIDs,
			Secretaries: b.Secretaries, Committee: b.Committee, Members: b.Members, Company: b.Company,
		}
		if b.ChatID != "" {
			br.ChatID = bot.MemberID(b.Company, b.ChatID)
		}
		for _, g := range b.Groups {
			name := strings.TrimSpace(g.Name)
			br.Groups = append(br.Groups, name)
			if len(g.Members) > 0 {
				if br.GroupMembers == nil {
					br.GroupMembers = map[string][]string{}
				}
				br.GroupMembers[name] = append(br.GroupMembers[name], g.Members...)
			}
		}
		for key, word := range b.Cadence {
			typ, okType := bot.ParseMeetingType(key)
			c, okCadence := bot.ParseBranchCadence(word)
			if okType && okCadence { // Validate reports the others
				if br.Cadence == nil {
					br.Cadence = map[bot.MeetingType]bot.Cadence{}
				}
				br.Cadence[typ] = c
			}
		}
		org.Branches = append(org.Branches, br)
	}
	return org
}

// checkinReminder is which branches get the daily 签到 reminder.
func (c Config) checkinReminder() bot.CheckinReminder {
	out := bot.CheckinReminder{All: c.Rules.CheckinReminder}
	for _, b := range c.Org.Branches {
		if b.CheckinReminder != nil {
			if out.Branches == nil {
				out.Branches = map[string]bool{}
			}
			out.Branches[b.ID] = *b.CheckinReminder
		}
	}
	return out
}

// cadence is the obligations table with the configured 党课 cadence.
func (c Config) cadence() map[bot.MeetingType]bot.Cadence {
	table := bot.DefaultCadence()
	if lecture, ok := bot.ParseCadence(c.Rules.PartyLectureCadence); ok {
		table[bot.MeetingLecture] = lecture
	}
	return table
}

func (c Config) storeConfig() store.Config {
	sc := c.Redis
	sc.LocationDays = c.Retention.LocationDays
	return sc
}

const redactedValue = "<redacted>"

// Redacted is the config with secrets replaced, for printing.
func (c Config) Redacted() Config {
	branches := slices.Clone(c.Org.Branches)
	for i := range branches {
		if branches[i].RobotKey != "" {
			branches[i].RobotKey = redactedValue // the webhook key is a credential
		}
	}
	c.Org.Branches = branches
	for _, e := range secretEnv {
		if p := e.dst(&c); *p != "" {
			*p = redactedValue
		}
	}
	corps := slices.Clone(c.Corps)
	for i := range corps {
		for _, p := range corps[i].secrets() {
			if *p.value != "" {
				*p.value = redactedValue
			}
		}
	}
	c.Corps = corps
	return c
}

// corpSecret is one secret of a corps entry and the suffix of its
// environment variable.
type corpSecret struct {
	key   string
	value *string
}

func (c *CorpConfig) secrets() []corpSecret {
	return []corpSecret{{"SECRET", &c.Secret}, {"TOKEN", &c.Token}, {"ENCODING_AES_KEY", &c.EncodingAESKey}}
}

// corpEnv names the environment variable of a secret: PARTYBOT_WECOM_KEY
// for the home corp ("" id), PARTYBOT_CORP_<ID>_KEY for a corps entry.
func corpEnv(id, key string) string {
	if id == "" {
		return "PARTYBOT_WECOM_" + key
	}
	return "PARTYBOT_CORP_" + strings.ToUpper(strings.ReplaceAll(id, "-", "_")) + "_" + key
}

// YAML renders the config.
func (c Config) YAML() ([]byte, error) {
	return yaml.Marshal(c)
}
