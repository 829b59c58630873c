# Two entry points for a new machine: `make demo` (the main job) and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint bench mosquitto

$(BIN)/cableroute: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

demo: $(BIN)/cableroute
	$(BIN)/cableroute decode replay/examples

mosquitto:
	@command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || \
	  ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q mosquitto mosquitto-clients)

test: $(BIN)/cableroute mosquitto
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q

lint: $(BIN)/cableroute
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(BIN)/cableroute
	for b in bench/*.py; do $(BIN)/python $$b; done
