package main

import (
	"bufio"
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// dockerfileStages reads the Dockerfile's instructions by stage.
func dockerfileStages(t *testing.T) [][]string {
	t.Helper()
	f, err := os.Open("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stages [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "FROM ") {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			t.Fatalf("Dockerfile: %q before the first FROM", line)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], line)
	}
	return stages
}

// The Dockerfile is multi-stage, runs as non-root on a base with CA
// certificates and tzdata, and its build line makes a static binary: built
// here with exactly its flags (and with docker, where an engine answers).
func TestDockerfile(t *testing.T) {
	t.Parallel()
	stages := dockerfileStages(t)
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a build stage and a runtime stage", len(stages))
	}
	final := stages[len(stages)-1]
	if !strings.Contains(final[0], "distroless/static") || !strings.Contains(final[0], "nonroot") {
		t.Fatalf("runtime base %q: want distroless static (CA certificates, tzdata, no shell) as nonroot", final[0])
	}
	i := slices.IndexFunc(final, func(l string) bool { return strings.HasPrefix(l, "USER ") })
	if i < 0 || strings.Contains(final[i], "root:") && !strings.Contains(final[i], "nonroot") || final[i] == "USER 0" {
		t.Fatalf("runtime stage user: %v", final)
	}
	var build string
	for _, l := range stages[0] {
		if strings.HasPrefix(l, "RUN ") && strings.Contains(l, "go build") {
			build = strings.TrimPrefix(l, "RUN ")
		}
	}
	if !strings.Contains(build, "CGO_ENABLED=0") || !strings.Contains(build, "-o /out/partybot") {
		t.Fatalf("build line %q", build)
	}
	out := filepath.Join(t.TempDir(), "partybot")
	cmdline := strings.NewReplacer("${VERSION}", "test", "/out/partybot", out).Replace(build)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", cmdline)
	cmd.Dir = "../.."
	// The compilers go build starts hold the output pipe: without a wait
	// delay a timed-out build hangs the test instead of failing it.
	cmd.WaitDelay = 10 * time.Second
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmdline, err, b)
	}
	bin, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer bin.Close()
	for _, p := range bin.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the binary is dynamically linked; the distroless static base has no libc")
		}
	}
	if v, err := exec.Command(out, "version").Output(); err != nil || !strings.Contains(string(v), "partybot test") {
		t.Fatalf("version: %q %v", v, err)
	}
	if exec.Command("docker", "info").Run() == nil {
		build := exec.CommandContext(ctx, "docker", "build", "-t", "partybot:test", ".")
		build.Dir = "../.."
		if b, err := build.CombinedOutput(); err != nil {
			t.Fatalf("docker build: %v\n%s", err, b)
		}
	} else {
		t.Log("no docker engine here: the binary was built with the Dockerfile's exact command instead")
	}
}

// compose: two bot replicas of the image with the config mounted, and Redis
// with its append-only file; the mounted config is valid.
func TestComposeFile(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../deploy/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
			Image       string   `yaml:"image"`
			Command     []string `yaml:"command"`
			Volumes     []string `yaml:"volumes"`
			Healthcheck struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	redis := doc.Services["redis"]
	if !strings.Contains(strings.Join(redis.Command, " "), "--appendonly yes") || len(redis.Volumes) == 0 {
		t.Fatalf("redis service %+v: want appendonly yes on a volume", redis)
	}
	bots := 0
	for name, s := range doc.Services {
		if !strings.HasPrefix(name, "bot") {
			continue
		}
		bots++
		if s.Image != "partybot:latest" || !slices.ContainsFunc(s.Volumes, func(v string) bool { return strings.HasSuffix(v, ":/etc/partybot/config.yaml:ro") }) || len(s.Healthcheck.Test) == 0 {
			t.Fatalf("bot service %s: %+v", name, s)
		}
	}
	if bots != 2 {
		t.Fatalf("%d bot replicas, want 2", bots)
	}
	cfgRaw, err := os.ReadFile("../../deploy/config.compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PARTYBOT_WECOM_TOKEN": "token123", "PARTYBOT_WECOM_ENCODING_AES_KEY": strings.Repeat("a", 43)}
	if _, err := ParseConfig(cfgRaw, func(k string) string { return env[k] }); err != nil {
		t.Fatalf("config.compose.yaml: %v", err)
	}
}

// The systemd unit runs serve with the hardening options.
func TestSystemdUnit(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../deploy/partybot.service")
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && !strings.HasPrefix(line, "#") {
			set[k] = v
		}
	}
	for k, want := range map[string]string{
		"ExecStart": "/usr/local/bin/partybot serve -config /etc/partybot/config.yaml", "KillSignal": "SIGTERM",
		"DynamicUser": "yes", "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
		"PrivateTmp": "yes", "CapabilityBoundingSet": "", "MemoryDenyWriteExecute": "yes",
	} {
		if got, ok := set[k]; !ok || got != want {
			t.Errorf("%s=%q, want %q", k, got, want)
		}
	}
}
