# Telepasar: the README's two commands, `make run` and `make test`, set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST := 127.0.0.1
PORT := 5000

.PHONY: run test lint install seed clean

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

# The gateway and the outbox worker together; Ctrl-C stops both.
run: seed
	@echo
	@echo "Telepasar is starting on http://$(HOST):$(PORT) (Ctrl-C stops the gateway and the worker)."
	@echo "Try a USSD session (each step sends the whole history in text, joined by *):"
	@echo "  curl -s -d sessionId=demo1 -d serviceCode='*123#' -d phoneNumber=081234567890 -d networkCode=51010 --data-urlencode text= http://$(HOST):$(PORT)/africastalking/ussd"
	@echo "  curl -s -d sessionId=demo1 -d serviceCode='*123#' -d phoneNumber=081234567890 -d networkCode=51010 --data-urlencode 'text=1*1' http://$(HOST):$(PORT)/africastalking/ussd"
	@echo "Health: curl -s http://$(HOST):$(PORT)/healthz"
	@echo
	@bash -c 'trap "exit 130" INT TERM; trap "kill \$$(jobs -p) 2>/dev/null" EXIT; \
	  $(BIN)/flask --app gateway worker & \
	  $(BIN)/flask --app gateway run --host $(HOST) --port $(PORT) & \
	  wait -n'

test: install lint
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) instance .pytest_cache
