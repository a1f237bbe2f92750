# The two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# uv installs the locked dependencies (uv.lock). It comes from PyPI into a venv of its own, not
# the project's: `uv sync` removes from .venv whatever the lock does not name.
UV_VERSION ?= 0.13.9
UV_VENV    ?= .uv
UV         := $(UV_VENV)/bin/uv
UV_STAMP   := $(UV_VENV)/.uv-$(UV_VERSION)
# The ADR linter's ruleset: the copy beside this workspace when there is one, else the published one.
ADR_RULESET ?= $(if $(wildcard ../shared/adr/linter.yaml),../shared/adr/linter.yaml,https://static.developer.overheid.nl/adr/ruleset.yaml)
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Test processes: the contract fuzzing runs on one while the other takes the rest of the suite.
# TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= 2

.PHONY: install run test lint typecheck-clients openapi docs-check bench migrate seed clean
.DEFAULT_GOAL := install

$(UV_STAMP):
	rm -rf $(UV_VENV)
	$(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	touch $@

## Exactly what uv.lock says (with the dev extra), the project itself editable (app/ is live).
$(STAMP): pyproject.toml uv.lock $(UV_STAMP)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --extra dev --python $(PYTHON)
	touch $(STAMP)

install: $(STAMP)

## Migrate the embedded database, load the demo community once, print an admin key, serve.
run: $(STAMP)
	$(BIN)/leergemeenschap migrate
	$(BIN)/leergemeenschap seed-demo --if-empty
	$(BIN)/leergemeenschap api-keys create --role admin --name "local admin (make run)"
	$(BIN)/leergemeenschap serve --host $(HOST) --port $(PORT)

## The whole suite on SQLite, and on Postgres when one is reachable (REQUIRE_POSTGRES=1: must be).
## The browser check is not part of it (nor of CI): `make docs-check` runs it. The contract
## fuzzing is collected first and the order kept, so one worker fuzzes while the other runs the rest.
test: $(STAMP)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --ignore=tests/browser $(PYTEST_ARGS)

lint: $(STAMP)
	$(UV) lock --check
	$(BIN)/ruff check app tests migrations benchmarks
	$(BIN)/ruff format --check app tests migrations benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/leergemeenschap openapi --check
	npx --yes @stoplight/spectral-cli@6.16.3 lint --ruleset $(ADR_RULESET) --fail-severity warn openapi/openapi.json
	$(BIN)/hadolint Dockerfile
	$(MAKE) typecheck-clients

## The document as a TypeScript frontend uses it: types from openapi-typescript, a small
## openapi-fetch client (clients/typescript/src/client.ts) checked by tsc --strict, no casts.
TS_CLIENT := clients/typescript
$(TS_CLIENT)/node_modules/.installed: $(TS_CLIENT)/package.json $(TS_CLIENT)/package-lock.json
	cd $(TS_CLIENT) && npm ci --no-audit --no-fund
	touch $@

typecheck-clients: $(TS_CLIENT)/node_modules/.installed
	cd $(TS_CLIENT) && npm run --silent check

openapi: $(STAMP)
	$(BIN)/leergemeenschap openapi

## Swagger UI in headless Chromium (the Debian package, installed here when missing) against a
## server started as `make run` starts it: Authorize, GET /members, Try it out, Execute, a 200.
docs-check: $(STAMP)
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium)
	DOCS_CHECK=1 $(BIN)/pytest -p no:xdist tests/browser

migrate: $(STAMP)
	$(BIN)/leergemeenschap migrate

seed: $(STAMP)
	$(BIN)/leergemeenschap seed-demo

## Load test against Postgres (see benchmarks/README.md): the API beside a bare endpoint, the
## raw-asyncpg ceiling and the idiomatic ORM reference (benchmarks/results.json); 10,000-member
## syncs against a bare COPY; a change feed follower under a sync's write load (benchmarks/feed.json);
## how reads and syncs grow to 100,000 members (benchmarks/scale.json); 1,000 webhook deliveries
## to a local receiver (benchmarks/webhooks.json); a notification fan-out to 10,000 members
## (benchmarks/notifications.json); the diff of two 500-item agenda revisions on both databases
## (benchmarks/agenda_diff.json).
bench: $(STAMP)
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	@# All of them run; the make fails afterwards if any of them did (a missed target included).
	status=0; \
	$(BIN)/python -m benchmarks.run --ceiling || status=$$?; \
	$(BIN)/python -m benchmarks.sync_bench --output benchmarks/sync.json || status=$$?; \
	$(BIN)/python -m benchmarks.feed_bench --output benchmarks/feed.json || status=$$?; \
	$(BIN)/python -m benchmarks.scale || status=$$?; \
	$(BIN)/python -m benchmarks.webhook_bench --output benchmarks/webhooks.json || status=$$?; \
	$(BIN)/python -m benchmarks.notifications_bench --output benchmarks/notifications.json || status=$$?; \
	$(BIN)/python -m benchmarks.agenda_diff_bench --output benchmarks/agenda_diff.json || status=$$?; \
	exit $$status

clean:
	rm -rf $(VENV) $(UV_VENV) data/*.db data/*.db-* $(TS_CLIENT)/node_modules
