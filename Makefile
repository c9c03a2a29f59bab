# Two commands a learner needs: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PART ?= part2_chat
# Touched after a successful install, so the venv is only rebuilt when requirements change.
INSTALLED := $(VENV)/.installed

.PHONY: run test clean venv

venv: $(INSTALLED)

$(INSTALLED): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# A part with a Procfile runs the way the platform runs it (honcho reads the Procfile,
# and finds gunicorn in .venv/bin); the others run with `python app.py`.
run: $(INSTALLED)
	@if [ -f $(PART)/Procfile ]; then \
		cd $(PART) && PATH="$(CURDIR)/$(BIN):$$PATH" ../$(BIN)/honcho start; \
	else \
		cd $(PART) && ../$(BIN)/python app.py; \
	fi

test: $(INSTALLED)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
