# `make demo` and `make test` set everything up on a fresh machine: Debian packages WeasyPrint needs,
# a Python 3.11 virtualenv in .venv, and the project with its test extras. The suite runs on two workers, a
# test file to a worker (so a module's expensive fixture, e.g. a Prefect server, is built once).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBIAN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
# The tests also drive pages in Debian's headless Chromium (no downloaded browser builds) and render PDF pages.
TEST_DEBIAN_PACKAGES := chromium chromium-driver poppler-utils postgresql

.PHONY: demo test setup system-packages test-packages apt-install clean

demo: setup
	$(BIN)/tasking demo

test: setup test-packages
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

setup: system-packages $(VENV)/.installed

# WeasyPrint renders with Pango and needs at least one font; install only what is missing.
system-packages:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(DEBIAN_PACKAGES)"

test-packages:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(TEST_DEBIAN_PACKAGES)"

apt-install:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required"; exit 1; }
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

clean:
	rm -rf var data/synthetic products .pytest_cache
