"""Fixtures for the real-browser tests: one JupyterLab server and one Chromium for the whole session.

``pytest tests/browser`` works on its own. Without Chromium (or Playwright) the
tests are skipped with the reason, except under ``CI=true``, where a browser
test that cannot run is a failure: CI must prove that students see the widgets.
Set ``CHROMIUM=/path/to/chromium`` to use another binary.
"""

from __future__ import annotations

import os
import shutil

import pytest
from jupyterlab_driver import (
    CHROMIUM_ARGS,
    COLAB_PYTHON,
    FRONTENDS,
    NOTEBOOKS,
    SCREENSHOTS,
    LabServer,
    expect,
    strip_outputs,
)

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # the browser fixture reports it: a skip locally, a failure under CI=true
    sync_playwright = None

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
VIEWPORT = {"width": 1400, "height": 1000}


def in_ci():
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def unavailable(reason):
    """Skip locally; fail under CI=true, where the browser tests must run."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true, so the browser tests may not be skipped)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_executable():
    path = shutil.which(CHROMIUM)
    if path is None:
        unavailable(f"Chromium not found at {CHROMIUM}: install it with `sudo apt-get install -y chromium`")
    return path


@pytest.fixture(scope="session")
def browser(chromium_executable):
    """One headless Chromium for the session (Playwright adds a fresh user data directory)."""
    if sync_playwright is None:
        unavailable("Playwright is not installed: run `.venv/bin/pip install -e '.[test]'`")
    # Generous waits: on a busy 2-core CI machine a kernel round trip can take seconds. A passing
    # test never waits for a timeout, so this costs nothing when all is well.
    expect.set_options(timeout=30_000)
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="session", params=FRONTENDS)
def server(request, browser, tmp_path_factory):
    """A front end (JupyterLab 4, Notebook 7, classic Notebook 6.5) on a temporary copy of notebooks/
    (outputs stripped), stopped at the end whatever happens. pytest runs all tests of one front end,
    stops its server, then starts the next."""
    frontend = request.param
    if frontend == "classic" and not COLAB_PYTHON.exists():
        unavailable(
            f"classic Notebook needs the Colab-like venv {COLAB_PYTHON.parent.parent}: run `make test-colab` first"
        )
    server = LabServer(NOTEBOOKS, tmp_path_factory.mktemp(frontend), frontend)
    for notebook in server.root.glob("**/*.ipynb"):
        strip_outputs(notebook)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(FAILED, False)
    if report.when == "call" and report.failed:
        item.stash[FAILED] = True
    return report


FAILED = pytest.StashKey[bool]()

# Page errors of a front end itself, seen on a notebook holding only `1 + 1`, so not backpropnb's:
# Notebook 7.6's shortcut-settings plugin reads the schema of a plugin it has not loaded.
KNOWN_ERRORS = {"notebook7": ("Cannot read properties of undefined (reading 'schema')",)}


def known_error(frontend, error):
    return str(error) in KNOWN_ERRORS.get(frontend, ())


@pytest.fixture
def page(request, browser, server):
    """A fresh browser context and page; on failure a screenshot goes to build/screenshots/failed-*.png."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.js_errors = []
    page.frontend = server.frontend
    page.on(
        "pageerror", lambda error: None if known_error(server.frontend, error) else page.js_errors.append(str(error))
    )
    try:
        yield page
    finally:
        if request.node.stash.get(FAILED, False):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            name = "".join(c if c.isalnum() or c in "-_" else "-" for c in request.node.name)
            page.screenshot(path=SCREENSHOTS / f"failed-{name}.png", full_page=True)
        context.close()
        server.shutdown_kernels()
