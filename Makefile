# Patina: `make run` sets up, builds and runs the daemon; `make test` runs
# the whole suite. Both install what is missing first: packages
# (packaging/scripts/deps.sh), then ONNX Runtime and the default embedding
# model into the cache dir (packaging/scripts/models.sh).
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
export CGO_ENABLED := 1

GO      ?= go
TAGS    := sqlite_fts5
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/patina-dev/patina/internal/buildinfo.Version=$(VERSION)
BIN     := bin/patina

.PHONY: all deps models build run test vet bench eval security-score clean

all: build

deps:
	@packaging/scripts/deps.sh
	@packaging/scripts/models.sh

# ONNX Runtime and the USE-lite model, fetched, converted and checked
# against pinned sha256 values; a no-op (no network) once in place.
models:
	@packaging/scripts/models.sh

build: deps
	$(GO) build -tags $(TAGS) -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/patina

# Indexes this repository, runs the daemon in the foreground on the user's
# socket (standalone: no init system involved) and answers a query through
# it. Ctrl-C stops it and removes the socket.
run: build
	exec packaging/scripts/run.sh $(BIN)

# patina(1), made from the commands' --help. Install it with
#   install -Dm644 bin/patina.1 ~/.local/share/man/man1/patina.1
.PHONY: man
man: build
	$(BIN) __man > bin/patina.1.tmp && mv bin/patina.1.tmp bin/patina.1

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet -tags $(TAGS) ./...
	GOOS=darwin CGO_ENABLED=0 $(GO) vet ./...
	GOOS=darwin CGO_ENABLED=0 $(GO) build ./...

test: deps vet
	$(GO) test -race -tags $(TAGS) -count=1 -timeout 30m ./...

# Every figure is a ratio measured within one run (the machines are shared).
bench: build
	packaging/scripts/bench.sh $(BIN)
	packaging/scripts/bench-scry.sh
	packaging/scripts/bench-secrets.sh $(BIN)
	packaging/scripts/bench-rescrape.sh $(BIN)
	packaging/scripts/bench-mcp.sh $(BIN)

# MRR@10 and recall of lexical, semantic and hybrid scry (and ablations of
# the default) on every labelled query set, its tuning and test halves, with
# bootstrap intervals (see internal/eval). The first run prepares and embeds
# the corpora (a few minutes); later ones only search.
eval: deps
	$(GO) run -tags $(TAGS) ./cmd/patina-eval $(EVALFLAGS)

# The hardened service's exposure score; fails above 2.0.
security-score: deps
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && cp packaging/systemd/patina.service $$tmp/ && \
	  sed -i 's#^ExecStart=[^ ]*#ExecStart=/bin/true#' $$tmp/patina.service && \
	  line=$$(systemd-analyze security --offline=true $$tmp/patina.service | grep 'Overall exposure level') && \
	  echo "$$line" && score=$$(echo "$$line" | sed 's/.*: \([0-9.]*\).*/\1/') && \
	  awk -v s="$$score" 'BEGIN { exit !(s <= 2.0) }' || { echo "exposure above 2.0"; exit 1; }

clean:
	rm -rf bin
