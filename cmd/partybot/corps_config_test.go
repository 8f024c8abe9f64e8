package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// exampleWithCorps is config.example.yaml with its commented corps block
// turned on, and a second entry after it (secrets in the file).
func exampleWithCorps(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	on := false
	for _, line := range strings.Split(string(raw), "\n") {
		switch {
		case line == "# corps:":
			on = true
		case on && !strings.HasPrefix(line, "#   "):
			on = false
			out = append(out, `  - id: "east-2"`, `    name: "东方数据公司"`, `    corp_id: "wweast000000000002"`, `    agent_id: 1000005`,
				`    secret: "east-secret-value"`, `    token: "eastToken2"`, `    encoding_aes_key: "Ea5tKeyEa5tKeyEa5tKeyEa5tKeyEa5tKeyEa5tKey0"`)
		}
		if on {
			line = strings.TrimPrefix(line, "# ")
		}
		out = append(out, line)
	}
	s := strings.Join(out, "\n")
	if !strings.Contains(s, "\ncorps:\n  - id: partner") {
		t.Fatal("test setup: no commented corps block in config.example.yaml")
	}
	return s
}

// The example's corps block, in the contract shape, is valid.
func TestExampleCorpsBlockIsValid(t *testing.T) {
	t.Parallel()
	cfg, err := ParseConfig([]byte(exampleWithCorps(t)), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	apps := cfg.apps()
	if len(apps) != 3 || apps[1].ID != "partner" || apps[1].WeCom.CallbackPath != "/wecom/callback/partner" ||
		apps[2].WeCom.CallbackPath != "/wecom/callback/east-2" || apps[2].WeCom.APIBase != cfg.WeCom.APIBase {
		t.Fatalf("apps %+v", apps)
	}
	if org := cfg.org(); len(org.Companies) != 3 || org.Companies[1] != (struct{ ID, Name string }{"partner", "合作网络公司"}) {
		t.Fatalf("companies %+v", org.Companies)
	}
}

func TestValidateCorps(t *testing.T) {
	t.Parallel()
	base := exampleWithCorps(t)
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"duplicate id", `id: "east-2"`, `id: partner`, `corps[1].id: "partner" is already corps[0]`},
		{"duplicate path", `callback_path: "/wecom/callback/partner"`, `callback_path: "/wecom/callback"`, "corps[0].callback_path: /wecom/callback is already wecom's"},
		{"duplicate path between corps", `agent_id: 1000005`, "agent_id: 1000005\n    callback_path: \"/wecom/callback/partner\"", "corps[1].callback_path: /wecom/callback/partner is already corps[0]'s"},
		{"the home corp's corp_id", `corp_id: "wwfedcba9876543210"`, `corp_id: "ww0123456789abcdef"`, "corps[0].corp_id: already wecom's"},
		{"one corp twice", `corp_id: "wweast000000000002"`, `corp_id: "wwfedcba9876543210"`, "corps[1].corp_id: already corps[0]'s"},
		{"reserved id", `id: partner`, `id: home`, `corps[0].id: "home" must be`},
		{"bad id", `id: partner`, `id: "Partner Co"`, `corps[0].id: "Partner Co" must be`},
		{"no name", `name: "合作网络公司"`, `name: ""`, "corps[0].name: required"},
		{"bad token", `token: "partnerExampleToken"`, `token: "not a token!"`, "corps[0].token: 1-32 letters or digits required (or set PARTYBOT_CORP_PARTNER_TOKEN)"},
		{"short key", `encoding_aes_key: "Ea5tKeyEa5tKeyEa5tKeyEa5tKeyEa5tKeyEa5tKey0"`, `encoding_aes_key: "short"`, "corps[1].encoding_aes_key: 43 letters or digits required (or set PARTYBOT_CORP_EAST_2_ENCODING_AES_KEY)"},
		{"no corp_id", `corp_id: "wwfedcba9876543210"`, `corp_id: ""`, "corps[0].corp_id: required"},
		{"no agent", `agent_id: 1000005`, `agent_id: 0`, "corps[1].agent_id: required"},
		{"bad api_base", `api_base: "https://qyapi.weixin.qq.com"   # optional`, `api_base: "qyapi.weixin.qq.com"   # optional`, "corps[0].api_base"},
		{"a member of no corp", `members: [zhangsan, lisi, wangwu]`, `members: [zhangsan, lisi, wangwu, nowhere/m1]`, `"nowhere/m1" names a corp that is not in corps`},
		{"a branch of no corp", `# company: partner`, `company: nowhere`, `company: "nowhere" is not the id of a corps entry`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := strings.Replace(base, tc.from, tc.to, 1)
			if raw == base {
				t.Fatalf("test setup: %q not found", tc.from)
			}
			_, err := ParseConfig([]byte(raw), noEnv)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err=%v\nwant it to say %q", err, tc.want)
			}
		})
	}
}

// config check validates every corp, takes each corp's secrets from its
// environment variables, and prints none of them.
func TestConfigCheckWithCorps(t *testing.T) {
	t.Parallel()
	raw := strings.Replace(exampleWithCorps(t), `token: "partnerExampleToken"`, `token: ""`, 1)
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	check := func(env map[string]string) (int, string) {
		var out bytes.Buffer
		code := run(t.Context(), []string{"config", "check", "-config", path}, &out, &out, func(k string) string { return env[k] })
		return code, out.String()
	}
	// Without the partner's token the config is refused, naming where it may come from.
	if code, out := check(nil); code != 1 || !strings.Contains(out, "corps[0].token") || !strings.Contains(out, "PARTYBOT_CORP_PARTNER_TOKEN") {
		t.Fatalf("config check without the partner token: %d\n%s", code, out)
	}
	env := map[string]string{
		"PARTYBOT_WECOM_SECRET":                 "homeSecretValue1",
		"PARTYBOT_CORP_PARTNER_SECRET":          "partnerSecretValue2",
		"PARTYBOT_CORP_PARTNER_TOKEN":           "partnerEnvToken3",
		"PARTYBOT_CORP_EAST_2_ENCODING_AES_KEY": "EnvKeyEnvKeyEnvKeyEnvKeyEnvKeyEnvKeyEnvKey4",
	}
	cfg, err := ParseConfig([]byte(raw), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if p, e := cfg.Corps[0], cfg.Corps[1]; p.Secret != env["PARTYBOT_CORP_PARTNER_SECRET"] || p.Token != env["PARTYBOT_CORP_PARTNER_TOKEN"] ||
		e.EncodingAESKey != env["PARTYBOT_CORP_EAST_2_ENCODING_AES_KEY"] || e.Secret != "east-secret-value" {
		t.Fatalf("env overrides: %+v", cfg.Corps)
	}
	code, out := check(env)
	if code != 0 || !strings.Contains(out, "is valid") {
		t.Fatalf("config check: %d\n%s", code, out)
	}
	secrets := []string{env["PARTYBOT_WECOM_SECRET"], env["PARTYBOT_CORP_PARTNER_SECRET"], env["PARTYBOT_CORP_PARTNER_TOKEN"],
		env["PARTYBOT_CORP_EAST_2_ENCODING_AES_KEY"], "east-secret-value", "eastToken2", "Pq7Rs8Tu9Vw0Xy1Za2Bc3De4Fg5Hi6Jk7Lm8No9Pq0R",
		"partybotExampleToken", "JtBmxD0B1w1ZSWRHW6fwDhWqnPRoNJrQcqwBFRMKNIv"}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("config check prints the secret %q", s)
		}
	}
	// Every secret of every corp is there, redacted; ids and paths are shown.
	if n := strings.Count(out, "<redacted>"); n != 9 {
		t.Errorf("%d redacted values, want 9 (3 corps × secret, token, key)\n%s", n, out)
	}
	for _, want := range []string{"id: partner", "callback_path: /wecom/callback/partner", "corp_id: wweast000000000002"} {
		if !strings.Contains(out, want) {
			t.Errorf("config check lacks %q", want)
		}
	}
}
