# partybot — 党建助手
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
CONFIG  ?= config.example.yaml

.PHONY: run serve test lint build bench load fuzz screenshot

## run: the demo — embedded Redis, fake WeCom, browser simulator at http://127.0.0.1:8080/
run:
	$(GO) run -ldflags "$(LDFLAGS)" ./cmd/partybot demo

## serve: run the bot on a config (default the example; needs Redis on 127.0.0.1:6379)
serve:
	$(GO) run -ldflags "$(LDFLAGS)" ./cmd/partybot serve -config $(CONFIG)

## test: every check and test; store and end-to-end tests start their own redis-server,
## then the store suite and end-to-end check-ins again on a local three-master Redis Cluster.
## -vet=off: lint has run the full vet already. -parallel 8: the end-to-end tests mostly
## wait on Redis and the outbox, not the CPU. The Cluster pass is -race too, so it links
## the test binaries already compiled instead of building everything again; its two
## commands run side by side; TestStoreDown kills a single server and is not run twice.
test: lint
	$(GO) test -race -vet=off -count=1 -parallel 8 ./...
	PARTYBOT_TEST_REDIS=cluster $(GO) test -race -vet=off -count=1 -skip '^TestStoreDown$$' ./store/ & store=$$!; \
	  PARTYBOT_TEST_REDIS=cluster $(GO) test -race -vet=off -count=1 -run '^(TestE2EConversation|TestMeetingFullFlow)$$' ./cmd/partybot/; \
	  e2e=$$?; wait $$store && exit $$e2e

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

## load: the 签到 callback under load, bot vs a minimal handler, then two corps vs one (docs/BENCHMARKS.md); ARGS="-rounds 6"
load:
	scripts/load.sh $(ARGS)

## screenshot: refresh docs/demo.png from the browser test (needs chromium and a CJK font)
screenshot:
	PARTYBOT_SCREENSHOT=$(CURDIR)/docs/demo.png $(GO) test -count=1 -run TestDemoInBrowser ./cmd/partybot/

## fuzz: fuzz the callback decode path for a minute
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzCallback -fuzztime 60s ./bot/wecom/
