# The two commands: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1:8000

# Tests run on the real services; .ci/run sets these, and these defaults point at the local ones.
TEST_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/liaison)
TEST_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/1)
# pytest-xdist processes: each takes its own test database, Redis database (REDIS_URL's + 0…N-1)
# and MEDIA_ROOT (conftest.py). worksteal: an idle worker takes tests queued on a busy one.
# Four on two cores: a third of the suite waits (servers, workers, browsers) rather than computes.
TEST_WORKERS ?= 4
# The generated tests' examples (schemathesis, Hypothesis) are multiplied by this; test-nightly: 10.
TEST_EXAMPLES_FACTOR ?= 1

.PHONY: run test test-nightly worker lint messages browser-deps migrate clean

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# The compiled catalogues are committed; recompile when gettext is at hand.
messages: $(BIN)/.installed
	@if command -v msgfmt >/dev/null; then $(MANAGE) compilemessages -v0 --ignore=.venv; \
	else echo "msgfmt not found: using the committed .mo files"; fi

migrate: $(BIN)/.installed
	$(MANAGE) migrate --noinput -v0

run: messages migrate
	$(MANAGE) seed_demo
	$(MANAGE) runserver $(HOST)

# The developer's all-in-one worker: without -Q it reads every queue (settings.CELERY_TASK_QUEUES),
# with beat; production runs a worker per queue (README: Production).
worker: $(BIN)/.installed
	$(BIN)/celery -A liaison worker --beat --loglevel=info

lint: $(BIN)/.installed
	$(BIN)/ruff check .

# Chromium and CJK fonts for the browser tests, gettext for the catalogues: Debian packages.
browser-deps:
	@command -v chromium >/dev/null && command -v msgfmt >/dev/null && fc-list | grep -qi "Noto Sans CJK" || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk gettext)

test: $(BIN)/.installed browser-deps messages
	$(BIN)/ruff check .
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) CACHE_KEY_PREFIX=liaison-test \
	  $(MANAGE) makemigrations --check --dry-run
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) CACHE_KEY_PREFIX=liaison-test \
	  TEST_EXAMPLES_FACTOR=$(TEST_EXAMPLES_FACTOR) $(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# The nightly-sized run: ten times the generated examples.
test-nightly:
	$(MAKE) test TEST_EXAMPLES_FACTOR=10

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
