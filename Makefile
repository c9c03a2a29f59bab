# Two commands a learner needs: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PART ?= part2_chat
# Touched after a successful install, so the venv is only updated when requirements
# change. `make run` needs only the chat's packages (requirements.txt); the tests, the
# docs and the benchmark add theirs (requirements-dev.txt).
INSTALLED := $(VENV)/.installed
INSTALLED_DEV := $(VENV)/.installed-dev
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: run test clean venv venv-dev

venv: $(INSTALLED)
venv-dev: $(INSTALLED_DEV)

$(INSTALLED): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	touch $@

# The tests' packages are many and large: uv installs them in seconds where
# pip takes most of a minute (measured here: 4 s with nothing cached, against
# 46 s). pip installs uv itself, at this version; `make run` uses pip alone,
# so a learner's first download stays small. uv trusts the system's
# certificates (--system-certs), as pip does, for a network whose proxy has its
# own; where uv still cannot install (it does not read pip's settings, such as
# a company's index), pip does.
UV_VERSION := 0.13.9
$(INSTALLED_DEV): $(INSTALLED) requirements-dev.txt
	$(PIP) uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --system-certs --python $(BIN)/python \
		-r requirements-dev.txt || $(PIP) -r requirements-dev.txt
	touch $@

# How a part runs: part 4's whole stack from Procfile.local (redis-server, the chat
# processes and, from its step 3, nginx), whose address is printed once they all answer;
# a part with a Procfile the way the platform runs it; the others with `python app.py`.
# honcho reads the Procfiles and stops everything on Ctrl+C. Ctrl+C is how a learner stops
# the chat, so it ends quietly: the trap runs once the server has stopped and exits 0, and
# make prints no "*** [run] Interrupt".
run: $(INSTALLED)
	@cd $(PART) && export PATH="$(CURDIR)/$(BIN):$$PATH:/usr/sbin" && \
	trap 'exit 0' INT && \
	if [ -f Procfile.local ]; then \
		for tool in redis-server nginx; do grep -q "$$tool " Procfile.local || continue; \
			command -v $$tool >/dev/null || { \
			echo "$(PART) needs $$tool. Install it: sudo apt-get install $$tool" \
			     "(Debian, Ubuntu) or brew install $${tool%-server} (macOS)"; exit 1; }; done; \
		ports=$$(grep -o 'PORT=[0-9]*' Procfile.local | cut -d= -f2); \
		if grep -q "nginx " Procfile.local; then open=5000; else open=$$ports; fi; \
		echo "Starting $$(cut -d: -f1 Procfile.local | paste -sd, - | sed 's/,/, /g')" \
		     "(Ctrl+C stops them all)..."; \
		python "$(CURDIR)/scripts/wait_until_serving.py" $$ports $$open --then \
			"Ready: open $$(printf 'http://127.0.0.1:%s/ and ' $$open | sed 's/ and $$//')" & \
		waiting=$$!; trap 'kill $$waiting 2>/dev/null; exit 0' INT; \
		honcho -f Procfile.local start; stopped=$$?; kill $$waiting 2>/dev/null; exit $$stopped; \
	elif [ -f Procfile ]; then \
		honcho start; \
	else \
		python app.py; \
	fi

# The tests run in parallel (pytest-xdist): TEST_WORKERS processes, and the
# tests that share a server on the same one (tests/conftest.py). The run
# ends with the 15 slowest, so that a test that got slow shows.
TEST_WORKERS ?= 3
# Every Python the tests start (the workers, the servers, a pytest inside a
# test) keeps its compiled modules, even where PYTHONDONTWRITEBYTECODE is set:
# pytest's rewritten test modules alone take 3 s to make in each process.
# They go into the venv, not next to the sources.
KEEP_BYTECODE := PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX="$(CURDIR)/$(VENV)/pycache"
test: $(INSTALLED_DEV)
	@scripts/install-system-packages
	$(BIN)/ruff check .
	$(KEEP_BYTECODE) $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=15

# A learner's check of their own copy, run again on every save:
#   make check COPY=~/my-chat STEP=3      (STEP: 3, 4.2, part3, ...)
# It only calls `python -m tutorial check COPY STEP --watch` (tutorial/check.py),
# which works without make too. CHECK_ARGS adds pytest options, e.g.
# CHECK_ARGS="-k leave" for a few checks, or --keep-going to run them all.
.PHONY: check
check: $(INSTALLED_DEV)
	@test -n "$(COPY)" || { echo "Name your copy and the step it is at:" \
		"make check COPY=~/my-chat STEP=3"; exit 2; }
	@$(BIN)/python -m tutorial check "$(COPY)" $(or $(STEP),7) --watch $(CHECK_ARGS)

# ruff, configured in pyproject.toml: 79 columns in the lesson code.
.PHONY: lint
lint: $(INSTALLED_DEV)
	$(BIN)/ruff check .

# Carry the uncommitted change of one checkpoint through every later
# checkpoint and every exercise built on it or later, with git's three-way
# merge (tutorial/carry.py; CONTRIBUTING.md says when and how).
.PHONY: carry
carry: $(INSTALLED_DEV)
	@test -n "$(FROM)" || { echo "Name the checkpoint you changed:" \
		"make carry FROM=part2_chat/steps/5_bad_input"; exit 2; }
	@$(BIN)/python -m tutorial.carry $(FROM)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# The docs site (mkdocs.yml, docs/). `docs` serves it with live reload at
# http://127.0.0.1:8000; `docs-build` writes site/, which works with no internet connection;
# `screenshots` retakes docs/images/ from the running part2 chat in Debian's Chromium.
.PHONY: docs docs-build screenshots

docs: $(INSTALLED_DEV)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

docs-build: $(INSTALLED_DEV)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

screenshots: $(INSTALLED_DEV)
	$(BIN)/python -m scripts.screenshots

# The benchmark (bench/): how many students one laptop serves. `bench` runs the quick set,
# `bench-full` every scenario and server three times; both write the figures, a page and
# its plot into bench/results/, which git ignores. `bench-docs` runs the quick set and
# writes it into the docs instead: the "Latest run" of docs/benchmark.md and its plot.
.PHONY: bench bench-full bench-docs bench-check bench-guard
RESULTS := bench/results

bench: $(INSTALLED_DEV)
	@scripts/install-system-packages
	$(BIN)/python -m bench.bench --set quick --json $(RESULTS)/quick.json \
		--markdown $(RESULTS)/quick.md --plot $(RESULTS)/quick.png

bench-full: $(INSTALLED_DEV)
	@scripts/install-system-packages
	$(BIN)/python -m bench.bench --set full --json $(RESULTS)/full.json \
		--markdown $(RESULTS)/full.md --plot $(RESULTS)/full.png

bench-docs: $(INSTALLED_DEV)
	@scripts/install-system-packages
	$(BIN)/python -m bench.bench --set quick \
		--markdown docs/benchmark.md --plot docs/images/benchmark.png

# What the guard in front of the chat costs (make class, scripts/guard.py): part2 with
# and without it, 200 users and 20 senders, interleaved, 3 repeats; prints the CPU per
# delivered message of both and their ratio (docs/benchmark.md quotes two such runs).
bench-guard: $(INSTALLED_DEV)
	$(BIN)/python -m bench.bench --set guard --json $(RESULTS)/guard.json \
		--markdown $(RESULTS)/guard.md

# How long a learner's check takes (bench/check_bench.py): a faithful copy and a copy of
# the step before, for every step; written into docs/benchmark.md.
bench-check: $(INSTALLED_DEV)
	@scripts/install-system-packages
	$(BIN)/python -m bench.check_bench --docs

# A class on the classroom network (scripts/classroom.py): the chat (PART, as for `make run`)
# and the docs site beside it, each behind a guard on every interface (scripts/guard.py),
# with the addresses and QR codes to join. The QR codes open the start page with ROOM
# filled in: `make class ROOM=maths`.
.PHONY: class
CHAT_PORT ?= 5000
DOCS_PORT ?= 8000
ROOM ?= class
# Connections one client address may hold (the guard, scripts/guard.py).
PER_ADDRESS ?= 50

class: $(INSTALLED_DEV)
	@PATH="$(CURDIR)/$(BIN):$$PATH:/usr/sbin" $(BIN)/python scripts/classroom.py \
		--part $(PART) --chat-port $(CHAT_PORT) --docs-port $(DOCS_PORT) --room "$(ROOM)" \
		--per-address $(PER_ADDRESS)
