# `make run` serves both apps on loopback; `make test` runs the whole suite (in parallel); `make bench` measures.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The resource server's resource identifier in `make run` (RFC 8707): the demo's tokens are for it.
RESOURCE_URL ?= http://127.0.0.1:5001

.PHONY: run test bench install system-deps lint fuzz soak

$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,postgres,redis]'
	touch $(STAMP)

install: $(STAMP)

system-deps:
	@sh scripts/install-system-deps.sh

run: install
	$(PY) manage.py db upgrade
	$(PY) manage.py demo --env-file instance/demo.env --resource-url $(RESOURCE_URL)
	@RESOURCE_URL=$(RESOURCE_URL) sh scripts/run-dev.sh

lint: install
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check
	$(VENV)/bin/ruff format --check

# In parallel (pytest-xdist): most of the suite's time is spent waiting on servers, Chromium and
# polls, so more workers than cores pay. Each worker starts its own PostgreSQL, Redis and Chromium
# when its tests need them; loadgroup keeps an `xdist_group` marker's tests on one worker.
# TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 4
test: install system-deps lint
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup

bench: install
	@sh scripts/install-system-deps.sh bench
	$(PY) benchmarks/run.py $(BENCH_ARGS)

# schemathesis (docs/openapi.yaml) and the parser properties, far longer than in `make test`.
fuzz: install system-deps
	FUZZ_MAX_EXAMPLES=$${FUZZ_MAX_EXAMPLES:-1000} $(PY) -m pytest -p no:randomly tests/operations/test_fuzz.py tests/operations/test_parser_properties.py

# Several granian workers per app on PostgreSQL and Redis under concurrent load for a few minutes
# (loopback only); prints its figures. Not part of `make test`.
soak: install
	@sh scripts/install-system-deps.sh soak
	$(PY) scripts/soak.py $(SOAK_ARGS)
