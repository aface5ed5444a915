# The two commands: `make demo` and `make test`. Everything else is a step of theirs.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
CACHE := $(or $(SOUNDFACTORY_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/soundfactory-infra)
UV := $(CACHE)/uv-$(UV_VERSION)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv
# Run a command with the tools, venv and local backend from .envrc.
ENV := source ./.envrc &&
PROJECT_PACKAGES := __main__.py components scripts/sfops local_services bench policy

.PHONY: lint-workflows drill help setup setup-python setup-pulumi setup-go-tools setup-node setup-backup-host setup-system services-up services-down demo demo-down lint typecheck test test-fast test-integration bench

help:
	@echo "make demo       set up, start local services, pulumi up the 'local' stack, print its outputs"
	@echo "make test       set up, lint, type check and run the whole test suite"
	@echo "make test-fast  unit and contract tests only (no Pulumi engine)"
	@echo "make demo-down  destroy the local stack's resources and stop the local services"
	@echo "make bench      run the benchmarks under bench/"

setup: setup-python setup-pulumi setup-go-tools setup-node setup-backup-host

$(UV):
	@command -v python3 >/dev/null || { echo "python3 (3.11) is required to bootstrap uv; install it and rerun." >&2; exit 1; }
	python3 -m venv "$(CACHE)/uv-$(UV_VERSION)"
	"$(CACHE)/uv-$(UV_VERSION)/bin/pip" install --quiet "uv==$(UV_VERSION)"

# The virtualenv, once per lock in the machine cache (.venv links to it), with its bytecode
# compiled; see the script. ~0.5 s when nothing changed.
setup-python: $(UV)
	UV="$(UV)" scripts/setup-python.sh $(PROJECT_PACKAGES)

setup-pulumi:
	scripts/setup-pulumi.sh

# stripe-mock and actionlint from the Go module proxy (tools/go-tools is their lock).
setup-go-tools:
	scripts/setup-go-tools.sh

# Vendor specs (package-lock.json); npm ci only when the lock is newer than node_modules.
setup-node:
	scripts/setup-node.sh

# OpenSSH's sshd and cron's crontab for the local backup host (apt-get when missing), and the
# host's venv for `sfops backup` (outside the clone; .tools/backup-host-venv links to it).
setup-backup-host: setup-python
	UV="$(UV)" scripts/setup-backup-host.sh

# PostgreSQL and headless Chromium for the sfops test layer (apt-get when missing).
setup-system:
	scripts/setup-system.sh

services-up: setup
	$(ENV) python -m local_services up

services-down:
	@if [ -x .venv/bin/python ]; then $(ENV) python -m local_services down; else echo "no local services (never set up)"; fi

demo: services-up
	$(ENV) scripts/demo.sh

# Rehearse playbook 9 on the local stack (breaks the local site on purpose, then repairs it).
drill: demo
	$(ENV) sfops --stack local drill

demo-down:
	@if [ -x .venv/bin/python ]; then $(ENV) scripts/demo.sh --down; fi
	$(MAKE) --no-print-directory services-down

lint: setup-python
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

# The users' GitHub workflows (.github/workflows): actionlint, built by setup-go-tools. make test
# runs it through tests/ci/test_workflows.py, so it is not a prerequisite of test as well.
lint-workflows: setup-go-tools
	$(ENV) actionlint .github/workflows/*.yml

# mypy's cache lives in the machine cache, shared by checkouts: it revalidates each entry by
# the file's hash, so a fresh clone checks only what differs from the last run anywhere on
# this machine (cold, 288 files: 27 s of CPU; from the shared cache: under 2 s).
typecheck: setup-python
	MYPY_CACHE_DIR="$(CACHE)/mypy" .venv/bin/mypy

test-fast: setup
	$(ENV) env -u PYTHONDONTWRITEBYTECODE pytest -m "not integration"

# Three workers on the two-core machines: since test stacks skip the passphrase's key
# derivation and restore a deployed stack instead of repeating its first `up`, a worker spends
# more of its time waiting on builds and servers (fresh clones side by side: 9m07s with two
# workers, 8m31s with three; the serial stream beside them). Whole files go to one worker (their
# module fixtures are set up once). Modules marked `serial` run one at a time: those sharing
# the backup host's user and its one crontab, and schemathesis (under xdist it runs all
# operations as one test); `make test` runs them beside the workers (scripts/test-streams.sh),
# `make test-integration` after them. TEST_WORKERS=0: the workers' share in one process.
TEST_WORKERS ?= 3
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist loadfile

test-integration: setup setup-system
	$(ENV) env -u PYTHONDONTWRITEBYTECODE pytest $(PYTEST_PARALLEL) -m "integration and not serial"
	$(ENV) env -u PYTHONDONTWRITEBYTECODE pytest -m "integration and serial"

# pytest caches its assertion-rewritten test modules only where bytecode may be written: with
# PYTHONDONTWRITEBYTECODE (set on these machines) each pytest process rewrote and compiled every
# test module again (collection 7.7 s of CPU, 3.4 s with the cache; four collections a run).
test: setup setup-system lint typecheck
	$(ENV) env -u PYTHONDONTWRITEBYTECODE TEST_WORKERS=$(TEST_WORKERS) scripts/test-streams.sh

bench: setup
	$(ENV) python -m bench
