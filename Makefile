# Telepasar: the README's two commands, `make run` and `make test`, set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST := 127.0.0.1
PORT := 5000
# The suite runs in this many processes (pytest-xdist): CI's machine has 2 cores.
TEST_PROCESSES ?= 2

.PHONY: run test test-future lint install seed bench phone clean

install: $(STAMP)

# Re-install whenever a requirements file changes.
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

seed: install
	$(BIN)/flask --app gateway seed-demo
	@if command -v espeak-ng >/dev/null; then $(BIN)/flask --app gateway prompts-synth; \
	else echo "espeak-ng is not installed: Africa's Talking voice reads Indonesian with its English <Say> (sudo apt-get install espeak-ng, then make run again)."; fi

# The gateway and the outbox worker together (gateway/devrun.py); Ctrl-C stops both and
# ends with 0. The worker outlives any fault of its own, and should it still end (killed, out
# of memory) it is started again: the gateway never goes down with it.
run: seed
	@echo
	@echo "Telepasar is starting on http://$(HOST):$(PORT) (Ctrl-C stops the gateway and the worker)."
	@echo "Try a USSD session (each step sends the whole history in text, joined by *):"
	@echo "  curl -s -d sessionId=demo1 -d serviceCode='*123#' -d phoneNumber=081234567890 -d networkCode=51010 --data-urlencode text= http://$(HOST):$(PORT)/africastalking/ussd"
	@echo "  curl -s -d sessionId=demo1 -d serviceCode='*123#' -d phoneNumber=081234567890 -d networkCode=51010 --data-urlencode 'text=1*1' http://$(HOST):$(PORT)/africastalking/ussd"
	@echo "Couriers: $(BIN)/flask --app gateway courier-add --phone 081311110001 --name 'Pak Made' --market AB,"
	@echo "  then they text SIAP; a whole delivery by hand is in the README (A delivery by hand)."
	@echo "Health: curl -s http://$(HOST):$(PORT)/healthz   and   curl -s http://$(HOST):$(PORT)/healthz/worker"
	@echo "Phone simulator: 'make phone' in another terminal (dial USSD, call, text as any number),"
	@echo "  or in the browser: http://$(HOST):$(PORT)/console/simulator (phones side by side; an admin"
	@echo "  account first: $(BIN)/flask --app gateway staff-add --username kadek --role admin)."
	@echo
	@$(BIN)/python -m gateway.devrun --host $(HOST) --port $(PORT)

test: install lint
	$(BIN)/python -m pytest -n $(TEST_PROCESSES)

# The outbox, worker, inbox, health, SMS, dispatch, failed-delivery, ledger and missed-call tests once more with the machine's clock moved to
# 2031 (Debian's faketime; every process sees the same date): nothing in Telepasar may depend
# on the date it runs on. .ci/run runs this after `make test`.
FUTURE := 2031-06-15 10:00:00 UTC
FUTURE_TESTS := tests/integration/test_worker.py tests/integration/test_worker_processes.py \
	tests/integration/test_inbox.py tests/integration/test_health.py \
	tests/integration/test_sms_routes.py tests/integration/test_sms_channel.py \
	tests/unit/test_hours.py tests/unit/test_sms_keywords.py tests/unit/test_sms_segments.py \
	tests/unit/test_clock_rule.py tests/integration/test_dispatch.py \
	tests/integration/test_dispatch_routes.py tests/integration/test_dispatch_race.py \
	tests/integration/test_missed_calls.py tests/integration/test_failed_deliveries.py \
	tests/integration/test_ledger_balances.py

test-future: install
	@command -v faketime >/dev/null || { echo "faketime is not installed: sudo apt-get install faketime"; exit 1; }
	@offset=$$(( $$(date -d "$(FUTURE)" +%s) - $$(date +%s) )); \
	  echo "Running the date-sensitive tests on $$(faketime -f "$$(printf '%+d' $$offset)" date -u)"; \
	  faketime -f "$$(printf '%+d' $$offset)" $(BIN)/python -m pytest -p no:cacheprovider -n $(TEST_PROCESSES) $(FUTURE_TESTS)

# The production path measured (gunicorn + wrk) beside the Redis design to beat, written to
# bench/RESULTS.md; PostgreSQL too when TEST_DATABASE_URL is set. Needs wrk and redis-server.
bench: install
	@command -v wrk >/dev/null || { echo "wrk is not installed: sudo apt-get install wrk"; exit 1; }
	@command -v redis-server >/dev/null || { echo "redis-server is not installed: sudo apt-get install redis-server"; exit 1; }
	$(BIN)/python bench/run.py

# The phone simulator in this terminal, talking to the gateway `make run` started.
phone: install
	$(BIN)/flask --app gateway phone --url http://$(HOST):$(PORT)

# ruff (lint and format), and the layers of docs/ARCHITECTURE.md (import-linter contracts
# in pyproject.toml).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) instance test-artifacts .pytest_cache .ruff_cache .import_linter_cache
