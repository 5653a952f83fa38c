# Two commands for a fresh machine: `make run` (console chat) and `make test` (everything CI runs).
# `make bench` runs every benchmark in bench/, JSON lines on stdout, progress on stderr.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test bench clean

# Progress goes to stderr, so that `make bench` leaves nothing but figures on stdout.
$(BIN)/python:
	@echo "Creating $(VENV)" >&2
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip

# pip's own chatter goes to a log, shown only when the install fails.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	@echo "Installing the helpdesk into $(VENV)" >&2
	@$(BIN)/pip install --quiet -e . > $(VENV)/install.log 2>&1 || (cat $(VENV)/install.log; exit 1)
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	@echo "Installing the helpdesk and its development tools into $(VENV)" >&2
	@$(BIN)/pip install --quiet -e '.[dev]' > $(VENV)/install.log 2>&1 || (cat $(VENV)/install.log; exit 1)
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/helpdesk run

test: $(VENV)/.installed-dev
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/check

bench: $(VENV)/.installed-dev
	@for script in kb_search intake claims fanout sweeps memory; do \
		$(BIN)/python bench/$$script.py || exit 1; \
	done

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
