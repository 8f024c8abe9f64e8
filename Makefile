# partybot — 党建助手
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
CONFIG  ?= config.example.yaml

.PHONY: run test lint build bench fuzz

## run: run the bot on the example config (needs Redis on 127.0.0.1:6379)
run:
	$(GO) run -ldflags "$(LDFLAGS)" ./cmd/partybot serve -config $(CONFIG)

## test: every check and test; store and end-to-end tests start their own redis-server
test: lint
	$(GO) test -race -count=1 ./...

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## build: a static binary in bin/
build:
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o bin/partybot ./cmd/partybot

## bench: the benchmarks behind docs/BENCHMARKS.md
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 3 ./...

## fuzz: fuzz the callback decode path for a minute
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzCallback -fuzztime 60s ./bot/wecom/
