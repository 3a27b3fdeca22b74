# Two commands set up everything: `make lab` and `make test`.
# Both create .venv if missing and install what is missing. Graphviz's dot comes with pip (the
# graphviz-pure wheel) when the system has none; the one system package is Chromium for the browser
# tests (apt-get when run as root; otherwise the command prints the one line to run).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
NBGRADER_VENV := .venv-nbgrader
# The class's hub (deploy/): a venv every Unix account can run, so from the system's Python (a
# Python under /root, e.g. pyenv's, is out of the students' reach), and the proxy from npm.
HUB_VENV   := .venv-hub
HUB_PYTHON ?= /usr/bin/python3
HUB_NODE   := .hub-node
NBVAL  := --nbval --nbval-sanitize-with notebooks/sanitize.cfg
TUTORIALS := $(wildcard notebooks/[0-9]*.ipynb)
SOLUTIONS := $(wildcard notebooks/solutions/[0-9]*.ipynb)
STUDENTS  := $(wildcard notebooks/exercises/[0-9]*.ipynb)
# the Korean edition (notebooks/ko/, same file names; python notebooks/korean.py check|sync)
TUTORIALS += $(wildcard notebooks/ko/[0-9]*.ipynb)
SOLUTIONS += $(wildcard notebooks/ko/solutions/[0-9]*.ipynb)
STUDENTS  += $(wildcard notebooks/ko/exercises/[0-9]*.ipynb)

# The Colab-like environment: ipywidgets 7.7.1 and Colab's numpy, matplotlib, ipykernel, classic Notebook 6.5.
COLAB     := .venv-colab
COLAB_BIN := $(COLAB)/bin

.PHONY: test environments test-fast test-unit test-notebooks test-colab test-browser test-hub lab exercises chromium hub-system clean

test: environments  ## everything: ruff, unit tests, notebooks, Colab-like env, browser, hub
	@$(MAKE) --no-print-directory test-fast test-colab test-browser test-hub

# Every environment the tests use: the system packages first (one apt-get at a time), then the five
# Python and npm environments side by side (pip mostly unpacks and writes files; on this 2-core
# machine a fresh clone's five took 83 s this way, 138 s one after another).
environments: chromium hub-system
	@$(MAKE) --no-print-directory -j3 $(VENV)/.test-installed $(NBGRADER_VENV)/.installed $(COLAB)/.installed \
		$(HUB_VENV)/.installed $(HUB_NODE)/.installed

test-fast: test-unit test-notebooks  ## everything but the Colab-like environment and the browser

lab: $(VENV)/.lab-installed  ## open JupyterLab on the notebooks
	$(BIN)/jupyter lab notebooks/ $$([ "$$(id -u)" = 0 ] && echo --allow-root)

exercises: $(VENV)/.test-installed  ## make notebooks/exercises/ (student versions) from notebooks/solutions/
	$(BIN)/python notebooks/make_exercises.py

test-unit: $(VENV)/.test-installed $(NBGRADER_VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check backpropnb tests benchmarks
	$(BIN)/pytest -n 2 --dist loadgroup -m "not hub" tests backpropnb notebooks/make_exercises.py

# A class on JupyterHub with real Unix accounts (tests/test_hub.py): needs root, like apt.
test-hub: $(VENV)/.test-installed $(HUB_VENV)/.installed $(HUB_NODE)/.installed  ## JupyterHub + nbgrader's exchange, end to end
	$(BIN)/pytest -p no:cacheprovider -m hub tests/test_hub.py

test-notebooks: $(VENV)/.test-installed
	$(BIN)/pytest -n 2 --dist loadfile $(NBVAL) $(TUTORIALS) $(SOLUTIONS)
	$(BIN)/pytest -n 2 --dist loadfile --nbval-lax $(STUDENTS)

# The explorers (every control, snapshot) and every notebook again, under ipywidgets 7.7.1 as on Colab.
test-colab: $(COLAB)/.installed  ## the Colab-like environment (ipywidgets 7.7.1)
	$(COLAB_BIN)/pytest -p no:cacheprovider -n 2 -k "not every_tutorial_drawing" \
		tests/test_colab_pins.py tests/test_widget_*.py tests/test_render_*.py backpropnb/widgets backpropnb/render
	$(COLAB_BIN)/pytest -p no:cacheprovider -n 2 --dist loadfile $(NBVAL) $(TUTORIALS) $(SOLUTIONS)
	$(COLAB_BIN)/pytest -p no:cacheprovider -n 2 --dist loadfile --nbval-lax $(STUDENTS)

test-browser: chromium $(VENV)/.test-installed $(COLAB)/.installed  ## JupyterLab, Notebook 7, classic Notebook + headless Chromium
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

# Colab's versions first, then backpropnb without letting pip change any of them.
$(COLAB)/.installed: pyproject.toml tests/envs/colab.txt
	test -x $(COLAB_BIN)/python || $(PYTHON) -m venv $(COLAB)
	$(COLAB_BIN)/pip install -r tests/envs/colab.txt
	$(COLAB_BIN)/pip install --no-deps -e .
	touch $@

# nbgrader in a venv of its own (its pins need not match ours), with backpropnb in it so that
# autograde's kernel can import the checkers; tests/test_nbgrader_roundtrip.py drives it.
$(NBGRADER_VENV)/.installed: pyproject.toml
	rm -rf $(NBGRADER_VENV)
	$(PYTHON) -m venv $(NBGRADER_VENV)
	$(NBGRADER_VENV)/bin/python -m pip install -q --no-compile 'nbgrader>=0.9.6,<0.10' -e .
	touch $@

# jupyterhub, nbgrader (with its lab extensions), jupyterlab and backpropnb for every user of the hub.
$(HUB_VENV)/.installed: pyproject.toml | hub-system
	rm -rf $(HUB_VENV)
	$(HUB_PYTHON) -m venv $(HUB_VENV)
	$(HUB_VENV)/bin/python -m pip install -q --no-compile 'jupyterhub>=5,<7' 'nbgrader>=0.9.6,<0.10' 'jupyterlab>=4,<5' -e .
	touch $@

# configurable-http-proxy, the proxy JupyterHub starts, from npm into a folder of its own.
$(HUB_NODE)/.installed: | hub-system
	npm install --prefix $(HUB_NODE) --no-fund --no-audit --loglevel=error 'configurable-http-proxy@^5'
	touch $@

hub-system:
	@$(HUB_PYTHON) -c 'import ensurepip' 2>/dev/null || $(MAKE) --no-print-directory apt PACKAGES=python3-venv
	@command -v npm >/dev/null || $(MAKE) --no-print-directory apt PACKAGES="nodejs npm"

# --- system packages: installed when root, otherwise the command to run --

# chromium also brings Hangul glyphs for the Korean notebooks (Chromium and matplotlib find them via fontconfig)
chromium:
	@command -v chromium >/dev/null || $(MAKE) --no-print-directory apt PACKAGES=chromium
	@fc-list :lang=ko 2>/dev/null | grep -q . || $(MAKE) --no-print-directory apt PACKAGES=fonts-noto-cjk

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
	rm -rf $(VENV) $(COLAB) $(NBGRADER_VENV) $(HUB_VENV) $(HUB_NODE) build .pytest_cache .ruff_cache .hypothesis
