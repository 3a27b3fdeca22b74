# Two commands set up everything: `make lab` and `make test`.
# Both create .venv if missing, install what is missing (system packages with
# apt-get when run as root; otherwise they print the one command to run).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
NBGRADER_VENV := .venv-nbgrader
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

test-unit: graphviz $(VENV)/.test-installed $(NBGRADER_VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check backpropnb tests benchmarks
	$(BIN)/pytest -n 2 --dist loadgroup tests backpropnb notebooks/make_exercises.py

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

# nbgrader in a venv of its own (its pins need not match ours), with backpropnb in it so that
# autograde's kernel can import the checkers; tests/test_nbgrader_roundtrip.py drives it.
$(NBGRADER_VENV)/.installed: pyproject.toml
	rm -rf $(NBGRADER_VENV)
	$(PYTHON) -m venv $(NBGRADER_VENV)
	$(NBGRADER_VENV)/bin/python -m pip install -q --no-compile 'nbgrader>=0.9.6,<0.10' -e .
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
	rm -rf $(VENV) $(NBGRADER_VENV) build .pytest_cache .ruff_cache .hypothesis
