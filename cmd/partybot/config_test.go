package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExampleConfigIsValid(t *testing.T) {
	t.Parallel()
	cfg, err := LoadConfig("../../config.example.yaml", noEnv)
	if err != nil {
		t.Fatalf("config.example.yaml: %v", err)
	}
	if got, want := cfg.Redis.KeyPrefix, "partybot:"; got != want {
		t.Fatalf("key_prefix=%q, want %q", got, want)
	}
	if got := len(cfg.Org.Branches); got != 1 {
		t.Fatalf("%d branches, want 1", got)
	}
}

func TestEnvOverridesSecrets(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"PARTYBOT_WECOM_SECRET":           "s3cret",
		"PARTYBOT_WECOM_TOKEN":            "envToken",
		"PARTYBOT_WECOM_ENCODING_AES_KEY": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
		"PARTYBOT_REDIS_PASSWORD":         "pw",
	}
	cfg, err := ParseConfig(raw, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.WeCom.Secret != "s3cret" || cfg.WeCom.Token != "envToken" || cfg.Redis.Password != "pw" ||
		cfg.WeCom.EncodingAESKey != env["PARTYBOT_WECOM_ENCODING_AES_KEY"] {
		t.Fatalf("env overrides not applied: %+v", cfg.WeCom)
	}
	out, err := cfg.Redacted().YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range env {
		if strings.Contains(string(out), secret) {
			t.Fatalf("redacted config shows %q:\n%s", secret, out)
		}
	}
}

func TestValidateNamesTheKey(t *testing.T) {
	t.Parallel()
	base, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, from, to, wantKey string
	}{
		{"short aes key", `encoding_aes_key: "JtBmxD0B1w1ZSWRHW6fwDhWqnPRoNJrQcqwBFRMKNIv"`, `encoding_aes_key: "short"`, "wecom.encoding_aes_key"},
		{"no corp", `corp_id: "ww0123456789abcdef"`, `corp_id: ""`, "wecom.corp_id"},
		{"hash tag in prefix", `key_prefix: "partybot:"`, `key_prefix: "{pb}:"`, "redis.key_prefix"},
		{"bad time zone", `timezone: "Asia/Shanghai"`, `timezone: "Mars/Olympus"`, "timezone"},
		{"typo in a key", `callback_path:`, `callbak_path:`, "callbak_path"},
		{"deadline too long", `reply_deadline: "3s"`, `reply_deadline: "6s"`, "wecom.reply_deadline"},
		{"secretary not a member", `secretaries: [zhangsan]`, `secretaries: [zhaoliu]`, "org.branches[0].secretaries"},
		{"bad branch id", `id: tech`, `id: "Tech Branch"`, "org.branches[0].id"},
		{"addr and addrs", `key_prefix: "partybot:"`, "key_prefix: \"partybot:\"\n  addrs: [\"10.0.0.1:7000\", \"10.0.0.2:7000\"]", "redis.addr \"127.0.0.1:6379\" and redis.addrs"},
		{"one cluster seed", `addr: "127.0.0.1:6379"`, `addrs: ["10.0.0.1:7000"]`, "redis.addrs"},
		{"master without sentinels", `key_prefix: "partybot:"`, "key_prefix: \"partybot:\"\n  master_name: mymaster", "redis.master_name"},
		{"bad dues day", `dues_day: 5`, `dues_day: 32`, "org.branches[0].dues_day"},
		{"bad robot key", `robot_key: ""`, `robot_key: "not a key!"`, "org.branches[0].robot_key"},
		{"unknown meeting type", `cadence: {}`, `cadence: {会餐: monthly}`, "org.branches[0].cadence.会餐: not a meeting type"},
		{"bad cadence", `cadence: {}`, `cadence: {committee: weekly}`, `org.branches[0].cadence.committee: "weekly" must be monthly, quarterly, yearly or none`},
		{"a 党员大会 is owed by all", `cadence: {}`, `cadence: {党员大会: none}`, "org.branches[0].cadence.党员大会: every branch owes a 党员大会"},
		{"one type twice", `cadence: {}`, `cadence: {支委会: none, committee: monthly}`, "is already set as"},
		{"a group twice", `groups: []`, `groups: [{name: 一组}, {name: 一组}]`, "org.branches[0].groups: 一组 is listed twice"},
		{"a group member not in members", `groups: []`, `groups: [{name: 一组, members: [zhaoliu]}]`, "org.branches[0].groups[一组].members: zhaoliu is not listed in members"},
		{"prepay too far", `dues_prepay_months: 6`, `dues_prepay_months: 13`, "rules.dues_prepay_months"},
		{"negative prepay", `dues_prepay_months: 6`, `dues_prepay_months: -1`, "rules.dues_prepay_months"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := strings.Replace(string(base), tc.from, tc.to, 1)
			if raw == string(base) {
				t.Fatalf("test setup: %q not found in the example", tc.from)
			}
			_, err := ParseConfig([]byte(raw), noEnv)
			if err == nil || !strings.Contains(err.Error(), tc.wantKey) {
				t.Fatalf("err=%v, want it to name %q", err, tc.wantKey)
			}
		})
	}
}

func TestRunCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"version", []string{"version"}, 0, "partybot dev"},
		{"config check", []string{"config", "check", "-config", "../../config.example.yaml"}, 0, "token: <redacted>"},
		{"config check missing file", []string{"config", "check", "-config", "nope.yaml"}, 1, "no such file"},
		{"unknown", []string{"frobnicate"}, 2, "Usage"},
		{"no args", nil, 2, "Usage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			code := run(t.Context(), tc.args, &out, &out, noEnv)
			if code != tc.wantCode || !strings.Contains(out.String(), tc.wantOut) {
				t.Fatalf("run(%v)=%d %q, want %d and %q", tc.args, code, out.String(), tc.wantCode, tc.wantOut)
			}
		})
	}
}

// redis.addrs names a Cluster's seeds, or with master_name the Sentinels.
func TestRedisTopologies(t *testing.T) {
	t.Parallel()
	base, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, to, master string }{
		{"cluster", `addrs: ["10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"]`, ""},
		{"sentinel", "addrs: [\"10.0.0.1:26379\"]\n  master_name: mymaster", "mymaster"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(strings.Replace(string(base), `addr: "127.0.0.1:6379"`, tc.to, 1)), noEnv)
			if err != nil {
				t.Fatal(err)
			}
			sc := cfg.storeConfig()
			if sc.Addr != "" || len(sc.Addrs) == 0 || sc.MasterName != tc.master {
				t.Fatalf("store config %+v", sc)
			}
		})
	}
}

// config check never prints a group robot's webhook key.
func TestConfigCheckRedactsRobotKeys(t *testing.T) {
	t.Parallel()
	base, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const key = "5c2d1e0f-aaaa-bbbb-cccc-robotrobot01"
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(string(base), `robot_key: ""`, `robot_key: "`+key+`"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := cli(t, "config", "check", "-config", path)
	if code != 0 || strings.Contains(out, key) || !strings.Contains(out, "robot_key: <redacted>") {
		t.Fatalf("config check: %d\n%s", code, out)
	}
}

// A config from before rules.checkin_reminder and rules.dues_prepay_months
// still loads: the reminder is off, paying ahead allowed for 6 months. A
// branch's checkin_reminder wins over the org's.
func TestCheckinReminderAndPrepayKeys(t *testing.T) {
	base, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var old []string
	for _, line := range strings.Split(string(base), "\n") {
		if !strings.Contains(line, "checkin_reminder:") && !strings.Contains(line, "dues_prepay_months:") {
			old = append(old, line)
		}
	}
	tests := []struct {
		name       string
		raw        string
		wantAll    bool
		wantTech   *bool // nil: not set for the branch
		wantPrepay int
	}{
		{"an older config", strings.Join(old, "\n"), false, nil, 6},
		{"the example", string(base), false, nil, 6},
		{"on for all, prepay off", strings.NewReplacer("checkin_reminder: false", "checkin_reminder: true", "dues_prepay_months: 6", "dues_prepay_months: 0").Replace(string(base)), true, nil, 0},
		{"on for a branch", strings.Replace(string(base), "# checkin_reminder: true", "checkin_reminder: true", 1), false, ptr(true), 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Contains(tc.name, "older") && strings.Contains(tc.raw, "dues_prepay_months") {
				t.Fatal("test setup: the keys are still there")
			}
			cfg, err := ParseConfig([]byte(tc.raw), noEnv)
			if err != nil {
				t.Fatal(err)
			}
			got := cfg.checkinReminder()
			tech, set := got.Branches["tech"]
			if got.All != tc.wantAll || set != (tc.wantTech != nil) || (set && tech != *tc.wantTech) || cfg.Rules.DuesPrepayMonths != tc.wantPrepay {
				t.Fatalf("reminder %+v, prepay %d; want all=%v tech=%v prepay %d", got, cfg.Rules.DuesPrepayMonths, tc.wantAll, tc.wantTech, tc.wantPrepay)
			}
			if want := tc.wantAll || (tc.wantTech != nil && *tc.wantTech); got.For("tech") != want {
				t.Fatalf("For(tech) = %v, want %v", got.For("tech"), want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
