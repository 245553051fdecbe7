# Coffer: `make run` to try it, `make test` before every commit.
GO        ?= go
BIN       ?= bin/coffer
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
FUZZTIME  ?= 10s
TESTFLAGS ?= -count=1 -timeout 12m

.PHONY: all build run cluster test race e2e fuzz fuzz-long bench bench-micro bench-memory bench-scale reliability lint lint-tools clean screenshots

all: build

# go build is silent while it works, so say what is happening: a first build
# (no binary yet) also downloads the modules and compiles the dependencies.
build:
	@if [ -x $(BIN) ]; then echo "building $(BIN)..."; \
	else echo "building $(BIN) (first build: downloads Go modules and compiles every dependency, may take a minute or two)..."; fi
	@$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/coffer
	@echo "built $(BIN) ($(VERSION))"

# The embedded default: ./data, 4 drives (2 data + 2 parity), S3 on :9000, console on :9001.
run: build
	@echo "starting coffer: data in ./data (created on first start), S3 on 127.0.0.1:9000, console on 127.0.0.1:9001; Ctrl-C stops it"
	$(BIN) server --data ./data --drives 4 --parity 2 \
		--s3-address 127.0.0.1:9000 --console-address 127.0.0.1:9001

# A local cluster of 3 nodes (docs/cluster.md) in ./cluster-data: each an
# embedded etcd member with 2 drives; ./cluster-data/cluster.json has the
# endpoints, the operator password and each node's restart command.
cluster: build
	$(BIN) cluster dev --dir ./cluster-data --nodes 3

test:
	$(GO) vet ./...
	$(GO) test $(TESTFLAGS) ./...

# The race detector over the packages where goroutines share state (under 2
# minutes on two cores, 5 when they are shared). RACE_TIMEOUT bounds each
# package's test binary;
# single-goroutine load tests skip themselves under -race (raceEnabled), and
# storage's TestEtcdIndex keeps to its concurrent tests (the detector slows
# the embedded etcd server too).
RACE_PKGS    ?= ./storage/ ./s3api/ ./auth/ ./console/ ./internal/kv/ ./internal/driveproto/
RACE_TIMEOUT ?= 15m
race:
	$(GO) test -race -count=1 -timeout $(RACE_TIMEOUT) $(RACE_PKGS)

# End to end: the built binary on loopback driven by the AWS CLI, boto3, the
# admin CLI and (when present) the browser test.
# Both suites run even when the first fails, so one CI run reports everything.
e2e: build
	@rc=0; \
	COFFER_BIN=$(abspath $(BIN)) test/e2e/run.sh || rc=1; \
	if [ -x test/browser/run.sh ]; then COFFER_BIN=$(abspath $(BIN)) test/browser/run.sh || rc=1; \
	else echo "test/browser: not present, skipped"; fi; \
	exit $$rc

# Every fuzz target for FUZZTIME each (go test -fuzz runs one target at a time).
fuzz:
	@set -e; for dir in $$(grep -rl --include='*_test.go' --exclude-dir=node_modules --exclude-dir=.git '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
		for target in $$(grep -h '^func Fuzz' $$dir/*_test.go | sed 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
			echo "== $$dir $$target ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$dir; \
		done; \
	done

# Every fuzz target (go test -list '^Fuzz' ./...) for FUZZTIME each (10m unless
# FUZZTIME is given), keeping the corpus under each package's testdata/fuzz.
# FUZZ_JOBS targets at once with FUZZ_PARALLEL workers each (2 and 1 on two
# cores: about 90 minutes for the 17 targets instead of 170). FUZZ_PKGS (a
# regexp) limits the packages.
FUZZ_JOBS     ?= 1
FUZZ_PARALLEL ?=
fuzz-long:
	GO=$(GO) FUZZ_JOBS=$(FUZZ_JOBS) FUZZ_PARALLEL=$(FUZZ_PARALLEL) \
		FUZZTIME=$(if $(filter command line environment,$(origin FUZZTIME)),$(FUZZTIME),10m) \
		test/reliability/fuzz-long.sh

# S3 load (test/bench/run.sh, test/bench/s3load): the built binary on
# loopback with a fresh 4-drive 2+2 data dir, issue 8's workloads plus MIXED
# and LIST, a markdown table beside MinIO's figures. BENCH_DURATION (20s),
# BENCH_RUNS (1; the table shows the median), BENCH_WORKLOADS,
# BENCH_PROFILE_DIR (pprof CPU/alloc profiles) as documented in run.sh.
BENCH_DURATION ?= 20s
BENCH_RUNS     ?= 1
bench: build
	COFFER_BIN=$(abspath $(BIN)) GO=$(GO) BENCH_DURATION=$(BENCH_DURATION) BENCH_RUNS=$(BENCH_RUNS) \
		test/bench/run.sh

# Server RSS while one client streams a 5 GiB object in and out and while 64
# clients PUT 64 MiB each (test/bench/memory.sh; needs ~10 GiB free in TMPDIR).
bench-memory: build
	COFFER_BIN=$(abspath $(BIN)) GO=$(GO) test/bench/memory.sh

# ListObjectsV2 and PUT 4 KiB at 0, 100k and SCALE_OBJECTS objects in one
# bucket, filled through the storage package (test/bench/scale.sh).
SCALE_OBJECTS ?= 1000000
bench-scale: build
	COFFER_BIN=$(abspath $(BIN)) GO=$(GO) SCALE_OBJECTS=$(SCALE_OBJECTS) test/bench/scale.sh

# The Go micro-benchmarks of the hot paths (storage, auth, s3api, pkg/...).
BENCHTIME ?= 1s
bench-micro:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -timeout 30m ./storage/... ./auth/... ./s3api/... ./pkg/...

# The reliability suites against the built binary at full length (see
# docs/reliability.md): 50 SIGKILL iterations and a 10 minute soak; then
# every package's long tests (COFFER_LONG=1); then the regression tests of
# known defects (COFFER_DEFECTS=1), which fail until those are fixed.
RELIABILITY_ITER ?= 50
RELIABILITY_SOAK ?= 10m
reliability: build
	COFFER_BIN=$(abspath $(BIN)) COFFER_RELIABILITY_ITER=$(RELIABILITY_ITER) COFFER_SOAK=$(RELIABILITY_SOAK) \
		$(GO) test -count=1 -v -timeout 90m ./test/reliability/
	COFFER_LONG=1 COFFER_BIN=$(abspath $(BIN)) COFFER_RELIABILITY_ITER=$(RELIABILITY_ITER) \
		$(GO) test -count=1 -timeout 90m $$($(GO) list ./... | grep -v /test/reliability)
	COFFER_BIN=$(abspath $(BIN)) COFFER_DEFECTS=1 \
		$(GO) test -count=1 -v -timeout 10m -run 'Defect|SlowBody' ./test/reliability/

# gofmt, go vet, golangci-lint (.golangci.yml; the pinned version is built
# into bin/tools on first use) and shellcheck (.shellcheckrc; Debian package
# shellcheck) on every shell script. All four run; any finding fails.
GOLANGCI_LINT_VERSION ?= v2.15.0
GOLANGCI_LINT         := bin/tools/golangci-lint-$(GOLANGCI_LINT_VERSION)/golangci-lint
SHELL_SCRIPTS          = $$(git ls-files '*.sh') .ci/run
lint: lint-tools
	@rc=0; \
	echo "== gofmt"; out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; rc=1; fi; \
	echo "== go vet"; $(GO) vet ./... || rc=1; \
	echo "== golangci-lint $(GOLANGCI_LINT_VERSION)"; $(GOLANGCI_LINT) run ./... || rc=1; \
	echo "== shellcheck"; \
	if command -v shellcheck >/dev/null; then shellcheck $(SHELL_SCRIPTS) || rc=1; \
	else echo "shellcheck not installed (apt-get install shellcheck)"; rc=1; fi; \
	exit $$rc

lint-tools: $(GOLANGCI_LINT)

$(GOLANGCI_LINT):
	GOBIN=$(abspath $(dir $(GOLANGCI_LINT))) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

clean:
	rm -rf bin
	$(GO) clean -testcache

# Refresh docs/screenshots from the browser test (ordinary runs leave them alone).
screenshots: build
	COFFER_SCREENSHOTS=1 COFFER_BIN=$(abspath $(BIN)) test/browser/run.sh
