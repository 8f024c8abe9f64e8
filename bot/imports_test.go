package bot_test

// Package bot is the pure domain: the standard library and golang.org/x/text,
// nothing else, directly or through another package. Adapters depend on
// it, never the reverse; this test keeps it so.

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// allowedImport reports whether package bot may depend on path (self is
// bot's own import path).
func allowedImport(path, self string) bool {
	return path == self || path == "golang.org/x/text" || strings.HasPrefix(path, "golang.org/x/text/")
}

// forbiddenImports lists the deps bot may not have.
func forbiddenImports(deps []string, self string) []string {
	var out []string
	for _, d := range deps {
		if d != "" && !allowedImport(d, self) {
			out = append(out, d)
		}
	}
	return out
}

func TestForbiddenImports(t *testing.T) {
	const self = "github.com/partybot/partybot/bot"
	tests := []struct {
		deps []string
		want []string
	}{
		{[]string{self, "golang.org/x/text/width", "golang.org/x/text/transform"}, nil},
		{[]string{self, "github.com/redis/go-redis/v9", "golang.org/x/text/width"}, []string{"github.com/redis/go-redis/v9"}},
		{[]string{"github.com/partybot/partybot/store", self}, []string{"github.com/partybot/partybot/store"}},
		{[]string{"github.com/partybot/partybot/bot/wecom"}, []string{"github.com/partybot/partybot/bot/wecom"}},
		{[]string{"golang.org/x/textual", "golang.org/x/net/html"}, []string{"golang.org/x/textual", "golang.org/x/net/html"}},
	}
	for _, tc := range tests {
		if got := forbiddenImports(tc.deps, self); !slices.Equal(got, tc.want) {
			t.Errorf("forbiddenImports(%v) = %v, want %v", tc.deps, got, tc.want)
		}
	}
}

// TestBotImportsOnlyTheStandardLibraryAndXText asks the go command for
// every non-standard package bot depends on, directly or not (its tests'
// imports aside: they use the store).
func TestBotImportsOnlyTheStandardLibraryAndXText(t *testing.T) {
	t.Parallel()
	// go test puts its own go first on PATH, so this is the toolchain under test.
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list bot's imports: %v", err)
	}
	self, err := exec.Command(goTool, "list", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatalf("go list .: %v", err)
	}
	pkg := strings.TrimSpace(string(self))
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, ee.Stderr)
		}
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, pkg) {
		t.Fatalf("go list -deps %s did not list the package itself: %v", pkg, deps)
	}
	if bad := forbiddenImports(deps, pkg); len(bad) > 0 {
		t.Fatalf("package bot depends on %v: the domain may import only the standard library and golang.org/x/text (adapters depend on bot, not the reverse)", bad)
	}
}
