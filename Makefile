# Two commands set everything up on a fresh machine: `make serve` and `make test`.
VENV   := .venv
BIN    := $(VENV)/bin
PYTHON ?= python3
STAMP  := $(VENV)/.installed
# Serving needs only the `local` extra: a first `make serve` installs no test toolchain.
SERVE_STAMP := $(VENV)/.installed-serve

# Virtualenvs are filled by uv (pinned, from PyPI as pip would): the same versions resolved, four
# times faster (the dev venv 28 s -> 7 s on two cores, most of pip's time its own CPU). Like
# `pip --no-compile`, it writes no bytecode. $(call fresh_venv,DIR): DIR's venv, with uv and pip.
UV_VERSION := 0.13.10
define fresh_venv
	$(PYTHON) -m venv $(1)
	$(1)/bin/python -m pip install --quiet --no-compile uv==$(UV_VERSION)
	$(1)/bin/uv pip install --quiet --python $(1)/bin/python --upgrade pip
endef

.PHONY: serve test test-workers test-serial workers-after-set-up lint build console-vendor bench clean

$(STAMP): pyproject.toml
	$(call fresh_venv,$(VENV))
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]'
	touch $(STAMP)

$(SERVE_STAMP): pyproject.toml
	$(call fresh_venv,$(VENV))
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[local]'
	touch $(SERVE_STAMP)

serve: $(SERVE_STAMP)
	$(BIN)/ecrm serve $(ARGS)

# checkov, the policy scanner, runs from its own virtualenv too: it pins boto3 (==1.35.49) and
# packaging below what the project's tools need. infra/checkov_scan.py says what it checks.
CHECKOV_VENV  := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

$(CHECKOV_STAMP): infra/checkov-requirements.txt
	$(call fresh_venv,$(CHECKOV_VENV))
	$(CHECKOV_VENV)/bin/uv pip install --quiet --python $(CHECKOV_VENV)/bin/python \
	  -r infra/checkov-requirements.txt
	touch $(CHECKOV_STAMP)

lint: $(STAMP) $(CHECKOV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/cfn-lint infra/template.yaml
	$(CHECKOV_VENV)/bin/python infra/checkov_scan.py

# `sam build` (what deploys) runs from its own virtualenv: aws-sam-cli pins many packages that
# must not move the project's. It needs a Python of the runtime's version on PATH (found by
# infra/lambda-python; pyenv's on this image). Functions are built for x86_64, the machine the
# packaging test imports them on (docs/deploy.md, "Architecture"). Nothing is cached between
# builds. $(LAMBDA_SDK) stands in for the SDK the Lambda runtime ships (boto3), which the
# layer deliberately does not carry.
SAM_VENV       := .venv-sam
SAM_STAMP      := $(SAM_VENV)/.installed
LAMBDA_SDK     := $(SAM_VENV)/lambda-runtime
LAMBDA_VERSION  = $(shell sed -n 's/^ *Runtime: python\(3\.[0-9]*\).*/\1/p' infra/template.yaml | head -n 1)

$(SAM_STAMP): infra/sam-requirements.txt infra/lambda-runtime-requirements.txt
	$(call fresh_venv,$(SAM_VENV))
	$(SAM_VENV)/bin/uv pip install --quiet --python $(SAM_VENV)/bin/python -r infra/sam-requirements.txt
	rm -rf $(LAMBDA_SDK)
	$(SAM_VENV)/bin/python -m pip install --quiet --no-compile --no-warn-conflicts --target $(LAMBDA_SDK) \
	  --only-binary=:all: --python-version $(LAMBDA_VERSION) -r infra/lambda-runtime-requirements.txt
	touch $(SAM_STAMP)

# The build then ships bytecode for the runtime's Python: Lambda's code is read-only, so without
# it every cold start compiles every module it imports. Hash-based pycs that are never checked
# against their source: `sam deploy` zips files dated 1980, which a timestamp pyc would take for
# stale. The stand-in SDK is compiled the same way (the runtime ships its boto3 compiled).
build: $(SAM_STAMP)
	@python=$$(infra/lambda-python $(LAMBDA_VERSION)) && echo "sam build with $$python" && \
	  PATH="$$(dirname "$$python"):$$PATH" SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam build \
	  --template-file infra/template.yaml --build-dir .aws-sam/build && \
	  "$$python" -m compileall -q -f -j 0 --invalidation-mode unchecked-hash .aws-sam/build $(LAMBDA_SDK)

# The console's kept libraries (web/console/vendor/, committed, so `make serve` needs no npm)
# come from npm by its lockfile: this installs them (`npm ci`: exactly the lockfile, integrity
# checked, no install scripts) and copies the files vendor/README.md lists over the committed
# ones, whose SHA-256 tests/unit/test_console_vendor.py then checks.
CONSOLE_NPM   := build/console-npm
CONSOLE_STAMP := $(CONSOLE_NPM)/.installed
HLJS_PACKAGE  := $(CONSOLE_NPM)/node_modules/@highlightjs/cdn-assets
HLJS_VENDOR   := web/console/vendor/highlight.js-11.12.0

$(CONSOLE_STAMP): web/console/package.json web/console/package-lock.json
	rm -rf $(CONSOLE_NPM) && mkdir -p $(CONSOLE_NPM)
	cp web/console/package.json web/console/package-lock.json $(CONSOLE_NPM)/
	cd $(CONSOLE_NPM) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	cp $(HLJS_PACKAGE)/LICENSE $(HLJS_PACKAGE)/es/core.min.js $(HLJS_VENDOR)/
	cp $(HLJS_PACKAGE)/styles/a11y-light.min.css $(HLJS_VENDOR)/
	cp $(HLJS_PACKAGE)/es/languages/django.min.js $(HLJS_PACKAGE)/es/languages/xml.min.js \
	  $(HLJS_VENDOR)/languages/
	touch $(CONSOLE_STAMP)

console-vendor: $(CONSOLE_STAMP)

# The three virtualenvs, the console's libraries, lint and build are made side by side with the
# `serial` tests, then the xdist workers run the rest (each target's output printed whole when it
# ends). The serial run waits on its stack more than it computes (a third of its time on the CPU):
# started with set-up, it fills the cores set-up leaves idle, and is done long before the workers.
# - Most tests on three xdist workers (two left the cores idle once the serial run ended), whole
#   modules at a time (`--dist loadfile`: a module's stack starts once); each worker runs one test
#   at a time (moto's state is process-wide).
# - `serial` tests in a process of their own: their cases share its state, and xdist would run
#   only one of schemathesis' cases (under pytest 9.2 they share one node id).
# ECRM_REQUIRE_BUILD: the packaging test fails, rather than skips, without a fresh build.
test:
	$(MAKE) -j5 --output-sync=target test-serial workers-after-set-up

workers-after-set-up: lint build console-vendor
	$(MAKE) test-workers

# The modules marked serial, named: `pytest -m serial` alone collects the whole suite (20 s of
# CPU) to find them, and each xdist worker collected them to leave them out (8 s: schemathesis
# builds its cases at collection). The workers do not load schemathesis' pytest plugin either.
SERIAL_MODULES = $(shell grep -rlx --include='test_*.py' 'pytestmark = pytest.mark.serial' tests)

test-workers: $(STAMP)
	ECRM_REQUIRE_BUILD=1 $(BIN)/pytest -m "not serial" $(addprefix --ignore=,$(SERIAL_MODULES)) \
	  -p no:schemathesis -n 3 --dist loadfile --durations=15 $(PYTEST_ARGS)

test-serial: $(STAMP)
	$(BIN)/pytest -m serial --durations=5 $(PYTEST_ARGS) $(SERIAL_MODULES)

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) .ecrm .aws-sam .pytest_cache .mypy_cache .ruff_cache
