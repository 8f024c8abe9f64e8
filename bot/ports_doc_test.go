package bot_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// docs/architecture.md names every port (interface) package bot declares,
// with the file that declares it: the map a newcomer reads must match the
// code.
func TestArchitectureDocNamesEveryPort(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	ports := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.TYPE {
				continue
			}
			for _, spec := range g.Specs {
				ts := spec.(*ast.TypeSpec)
				if _, isInterface := ts.Type.(*ast.InterfaceType); !isInterface || !ts.Name.IsExported() {
					continue
				}
				ports++
				row := "| `" + ts.Name.Name + "` | " + name + " |"
				if !strings.Contains(string(doc), row) {
					t.Errorf("docs/architecture.md lacks the port row %q", row)
				}
			}
		}
	}
	if ports < 10 {
		t.Fatalf("found %d ports; the parse is broken", ports)
	}
}
