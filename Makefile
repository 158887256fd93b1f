# Two commands: `make run` and `make test`. Each sets up what it needs itself.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run stop test unit infra setup bench faults failover dlq clean secrets

$(STAMP): requirements.lock pyproject.toml
	@$(PY) -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null || { rm -rf $(VENV); $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

setup: $(STAMP)

infra: setup
	$(PY) -m scripts.launcher infra

run: setup
	$(PY) -m scripts.launcher run

stop:
	@if [ -x $(PY) ]; then $(PY) -m scripts.launcher stop; fi

test: setup
	$(PY) -m scripts.launcher test

unit: setup
	$(PY) -m pytest tests/unit -q

bench: setup
	$(PY) bench/throughput.py $(BENCH_ARGS)

# Fault injection on a RabbitMQ node (port 5680) and a database of its own; prints the table.
faults: setup
	$(PY) bench/faults.py

# Three RabbitMQ nodes on 5690-5692 (not the broker on 5672), a node stopped mid-stream of reports.
failover: setup
	$(PY) bench/failover.py

dlq: setup
	$(PY) -m thidua.dlq list

clean: stop
	rm -rf .run $(VENV)

secrets:
	$(PYTHON) -m scripts.secrets
