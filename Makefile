# Two commands set up everything: `make lab` and `make test`.
# Both create .venv if missing, install what is missing (system packages with
# apt-get when run as root; otherwise they print the one command to run).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
NBVAL  := --nbval --nbval-sanitize-with notebooks/sanitize.cfg
TUTORIALS := $(wildcard notebooks/[0-9]*.ipynb)
SOLUTIONS := $(wildcard notebooks/solutions/[0-9]*.ipynb)
STUDENTS  := $(wildcard notebooks/exercises/[0-9]*.ipynb)

.PHONY: test test-fast test-unit test-notebooks test-browser lab exercises graphviz chromium clean

test: test-fast test-browser  ## everything: ruff, unit tests, notebooks, browser

test-fast: test-unit test-notebooks  ## everything but the browser

lab: graphviz $(VENV)/.lab-installed  ## open JupyterLab on the notebooks
	$(BIN)/jupyter lab notebooks/ $$([ "$$(id -u)" = 0 ] && echo --allow-root)

exercises: $(VENV)/.test-installed  ## make notebooks/exercises/ (student versions) from notebooks/solutions/
	$(BIN)/python notebooks/make_exercises.py

test-unit: graphviz $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check backpropnb tests benchmarks
	$(BIN)/pytest -n 2 tests backpropnb notebooks/make_exercises.py

test-notebooks: graphviz $(VENV)/.test-installed
	$(BIN)/pytest -n 2 --dist loadfile $(NBVAL) $(TUTORIALS) $(SOLUTIONS)
	$(BIN)/pytest -n 2 --dist loadfile --nbval-lax $(STUDENTS)

test-browser: graphviz chromium $(VENV)/.test-installed  ## JupyterLab + headless Chromium; screenshots in build/screenshots
	$(BIN)/pytest tests/browser

# --- the virtual environment ------------------------------------------

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[test]'
	touch $@

$(VENV)/.lab-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[lab]'
	touch $@

# --- system packages: installed when root, otherwise the command to run --

graphviz:
	@command -v dot >/dev/null || $(MAKE) --no-print-directory apt PACKAGES=graphviz

chromium:
	@command -v chromium >/dev/null || $(MAKE) --no-print-directory apt PACKAGES=chromium

apt:
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get install -y --no-install-recommends $(PACKAGES) || \
		{ apt-get update && apt-get install -y --no-install-recommends $(PACKAGES); }; \
	else \
		echo "$(PACKAGES) is missing. Run this once, then try again:"; \
		echo "    sudo apt-get install -y $(PACKAGES)"; \
		exit 1; \
	fi

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache .hypothesis
