# Pledge Portal. `make run` starts the portal, `make test` runs the tests: the
# PostgreSQL and Redis ones only when PLEDGE_TEST_DATABASE_URL and
# PLEDGE_TEST_REDIS_URL are set (skipped without them, failed instead when
# PLEDGE_TEST_REQUIRE_SERVICES=1).
GO ?= go
FUZZTIME ?= 5s
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: run build test fuzz lint check-rules bench bench-go ci

run:
	$(GO) run ./cmd/pledge serve

build:
	$(GO) build -o bin/pledge ./cmd/pledge

# The PostgreSQL store's package runs the whole conformance suite and the
# plan tests: minutes under the race detector on two busy cores, so the
# limit is above go test's default of 10 minutes per package.
test:
	$(GO) test -race -count=1 -timeout 30m ./...

fuzz:
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

lint:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# check-rules: the Prometheus alert rules and scrape config (needs promtool,
# from Debian's prometheus package).
check-rules:
	promtool check rules deploy/prometheus/rules.yml
	promtool test rules deploy/prometheus/rules_test.yml
	promtool check config deploy/prometheus/prometheus.yml

# bench: HTTP load against the portal beside a hello-world server, same run.
bench: bench-go
	scripts/bench.sh

# bench-go: group commit against one transaction per pledge, and intake with
# mail jobs (mail server up, refusing) against none, each in the same run.
bench-go:
	$(GO) test -run='^$$' -bench=. -benchtime=2s ./internal/store/sqlite/ ./internal/intake/ ./internal/jobs/

# ci: lint, every test with PostgreSQL and Redis required (by default the
# local ones, as .ci/run uses), and the fuzz targets. .ci/run also starts the
# services when they are down, checks the alert rules and runs deploy/chaos.sh.
ci: export PLEDGE_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
ci: export PLEDGE_TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
ci: export PLEDGE_TEST_REQUIRE_SERVICES = 1
ci: lint test fuzz
