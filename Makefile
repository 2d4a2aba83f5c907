# Huren — kiosk (huren) and review service (huren-review).
# `make run` and `make test` install what is missing (Debian packages via scripts/deps.sh) on their own.

SHELL := /bin/bash
GO ?= go
export LANG := zh_CN.UTF-8
export CGO_ENABLED := 1
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
TEST_TIMEOUT ?= 25m

.PHONY: all deps run build test vet lint smoke bench soak fuzz package clean

all: build

## deps: install missing Debian packages (idempotent; sudo when not root) and Go modules
deps:
	@bash scripts/deps.sh
	@$(GO) mod download

## run: the kiosk in demo mode (simulated devices, embedded review service), full-screen
run: deps
	$(GO) run -ldflags "$(LDFLAGS)" . -demo -fullscreen

## build: both binaries into bin/
build:
	@mkdir -p bin
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/huren .
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/huren-review ./cmd/huren-review

vet:
	$(GO) vet ./...

## lint: gofmt, go vet and staticcheck (installed into GOPATH/bin when missing)
lint: vet
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }
	@command -v staticcheck >/dev/null || PATH="$$($(GO) env GOPATH)/bin:$$PATH" command -v staticcheck >/dev/null || \
		$(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2
	PATH="$$($(GO) env GOPATH)/bin:$$PATH" staticcheck ./...

## test: go vet, every test under the race detector (tests start cupsd, PostgreSQL, chromium themselves), and
## every benchmark once, so a broken benchmark fails here rather than in make bench
test: deps vet
	$(GO) test -race -timeout $(TEST_TIMEOUT) ./...
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 15m ./...

## smoke: the real kiosk binary under Xvfb: Home screenshot in out/, checked non-blank, clean exit on SIGTERM
smoke: deps build
	bash scripts/smoke.sh

## bench: every benchmark with its baseline; writes docs/BENCHMARKS.md
bench: deps build
	bash scripts/bench.sh

## soak: long crash, fault, autopilot and fuzz runs
soak: deps build
	bash scripts/soak.sh

## fuzz: every fuzzer for FUZZTIME (default 20s)
fuzz:
	bash scripts/fuzz.sh $${FUZZTIME:-20s}

## package: kiosk tarball via fyne package (release) and a static-as-possible review service
package: deps
	bash scripts/package.sh $(VERSION)

clean:
	rm -rf bin out dist
