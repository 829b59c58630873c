# Two entry points for a new machine: `make demo` (the main job) and `make test` (the whole suite).
# `make check` is the quick loop while editing: lint, format check and the tests that need no broker,
# no ../shared corpus, no broker cluster and no long run.
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test check lint bench system-packages

#: The tests `make check` leaves out (see the markers in pyproject.toml).
CHECK_DESELECT := not broker and not corpus and not slow and not cluster

$(BIN)/cableroute: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	touch $@

# The main job: replay the two bundled example cables through a private broker (mosquitto when it is
# installed, else an in-process one) and print who received them.
demo: $(BIN)/cableroute
	$(BIN)/cableroute replay

# Debian packages the tests use: mosquitto (broker tests), nats-server and rabbitmq-server (the cluster
# and second-engine tests, which start their own nodes) and chromium (the audit's HTML report check).
system-packages:
	@missing=""; \
	  { command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ]; } || missing="$$missing mosquitto mosquitto-clients"; \
	  { command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ]; } || missing="$$missing nats-server"; \
	  { command -v rabbitmq-server >/dev/null || [ -x /usr/sbin/rabbitmq-server ]; } || missing="$$missing rabbitmq-server"; \
	  command -v chromium >/dev/null || missing="$$missing chromium"; \
	  [ -z "$$missing" ] || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q $$missing)

test: $(BIN)/cableroute system-packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q

check: $(BIN)/cableroute
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q -m "$(CHECK_DESELECT)"

lint: $(BIN)/cableroute
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(BIN)/cableroute
	for b in bench/*.py; do $(BIN)/python $$b; done
