# Patina: `make run` sets up, builds and runs the daemon; `make test` runs
# the whole suite. Both install what is missing first (packaging/scripts/deps.sh).
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
export CGO_ENABLED := 1

GO      ?= go
TAGS    := sqlite_fts5
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/patina-dev/patina/internal/buildinfo.Version=$(VERSION)
BIN     := bin/patina

.PHONY: all deps build run test vet bench security-score clean

all: build

deps:
	@packaging/scripts/deps.sh

build: deps
	$(GO) build -tags $(TAGS) -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/patina

# Runs the daemon in the foreground on the user's socket (standalone: no
# init system involved). Ctrl-C stops it and removes the socket.
run: build
	exec $(BIN) mother serve

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet -tags $(TAGS) ./...
	GOOS=darwin CGO_ENABLED=0 $(GO) vet ./...
	GOOS=darwin CGO_ENABLED=0 $(GO) build ./...

test: deps vet
	$(GO) test -race -tags $(TAGS) -count=1 -timeout 30m ./...

bench: build
	$(GO) test -tags $(TAGS) -run '^$$' -bench . -benchtime 2s ./...

# The hardened service's exposure score; must be <= 2.0.
security-score:
	@tmp=$$(mktemp -d) && cp packaging/systemd/patina.service $$tmp/ && \
	  sed -i 's#^ExecStart=[^ ]*#ExecStart=/bin/true#' $$tmp/patina.service && \
	  systemd-analyze security --offline=true $$tmp/patina.service | tail -1; rm -rf $$tmp

clean:
	rm -rf bin
