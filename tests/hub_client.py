"""Talk to a running JupyterHub and its users' servers the way a browser does, over HTTP.

Used by tests/test_hub.py and benchmarks/hub_load.py. ``Hub`` wraps the hub's REST API (with a
service token that may manage users), PAM log-in through the hub's login form, and starting and
stopping servers; ``Server`` is one user's Jupyter server behind the proxy (contents API, nbgrader's
server extensions, kernels); ``Kernel`` runs code in one of its kernels over the websocket and
returns what the code printed. Only requests and websocket-client, both of which Jupyter Server
needs anyway.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid

import requests
import websocket


class HubError(RuntimeError):
    pass


def check(response, what):
    if response.status_code >= 400:
        raise HubError(f"{what}: HTTP {response.status_code} {response.text[:2000]}")
    return response


class Hub:
    """The hub at ``url`` (``http://127.0.0.1:PORT``), driven with an admin service ``token``."""

    def __init__(self, url, token):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token}"

    def api(self, method, path, **kwargs):
        response = self.session.request(method, f"{self.url}/hub/api{path}", timeout=60, **kwargs)
        check(response, f"{method} /hub/api{path}")
        return response.json() if response.content else None

    def wait_up(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/hub/api/", timeout=5).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        raise HubError(f"the hub at {self.url} did not answer within {timeout} s")

    def login(self, name, password):
        """Log in through the hub's form (PAM); True when the hub accepted the password."""
        browser = requests.Session()
        check(browser.get(f"{self.url}/hub/login", timeout=60), "GET /hub/login")
        form = {"username": name, "password": password, "_xsrf": browser.cookies.get("_xsrf", "")}
        response = browser.post(f"{self.url}/hub/login", data=form, allow_redirects=False, timeout=60)
        return response.status_code == 302 and "jupyterhub-hub-login" in browser.cookies

    def token_for(self, name):
        return self.api("POST", f"/users/{name}/tokens", json={"note": "test", "expires_in": 3600})["token"]

    def start(self, name):
        """Ask for ``name``'s server; returns at once (the hub spawns in the background)."""
        self.api("POST", f"/users/{name}/server")

    def ready(self, name):
        server = self.api("GET", f"/users/{name}").get("servers", {}).get("")
        return bool(server and server.get("ready"))

    def wait_ready(self, names, timeout=180):
        """Wait until every server in ``names`` is ready; returns {name: seconds since the call}."""
        start, waited, pending = time.monotonic(), {}, set(names)
        while pending:
            for name in sorted(pending):
                if self.ready(name):
                    waited[name] = time.monotonic() - start
                    pending.discard(name)
            if time.monotonic() - start > timeout:
                raise HubError(f"servers not ready after {timeout} s: {sorted(pending)}")
            time.sleep(0.2)
        return waited

    def stop(self, name):
        with contextlib.suppress(HubError, requests.RequestException):
            self.api("DELETE", f"/users/{name}/server")


class Server:
    """``name``'s Jupyter server behind the hub's proxy, with a token of that user."""

    def __init__(self, hub_url, name, token):
        self.name = name
        self.base = f"{hub_url.rstrip('/')}/user/{name}"
        self.token = token
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token}"

    def request(self, method, path, **kwargs):
        return self.session.request(method, f"{self.base}{path}", timeout=300, **kwargs)

    def call(self, method, path, **kwargs):
        response = check(self.request(method, path, **kwargs), f"{self.name}: {method} {path}")
        return response.json() if response.content else None

    # contents API: paths are relative to the user's home
    def read(self, path):
        return self.call("GET", f"/api/contents/{path}", params={"content": "1"})["content"]

    def mkdir(self, path):
        self.call("PUT", f"/api/contents/{path}", json={"type": "directory"})

    def write_notebook(self, path, notebook):
        self.call("PUT", f"/api/contents/{path}", json={"type": "notebook", "format": "json", "content": notebook})

    # nbgrader's server extensions: the Assignments panel (students) and Formgrader (instructor)
    def assignments(self, action, assignment, course="backprop"):
        return self.call("POST", f"/assignments/{action}", data={"assignment_id": assignment, "course_id": course})

    def formgrader(self, method, path):
        return self.call(method, f"/formgrader/api/{path}")

    def kernel(self):
        return Kernel(self)


class Kernel:
    """A kernel on ``server``, run cell by cell over the websocket; ``shutdown`` when done."""

    def __init__(self, server):
        self.server = server
        self.id = server.call("POST", "/api/kernels", json={"name": "python3"})["id"]
        url = server.base.replace("http://", "ws://", 1) + f"/api/kernels/{self.id}/channels"
        self.session = uuid.uuid4().hex
        self.ws = websocket.create_connection(
            url, header=[f"Authorization: token {server.token}"], timeout=300, suppress_origin=True
        )

    def run(self, code):
        """Run ``code``; returns (stdout text, error name or None)."""
        msg_id = uuid.uuid4().hex
        self.ws.send(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "username": self.server.name,
                        "session": self.session,
                        "msg_type": "execute_request",
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {}},
                    "channel": "shell",
                    "buffers": [],
                }
            )
        )
        out, error, replied, idle = [], None, False, False
        while not (replied and idle):
            message = json.loads(self.ws.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream" and content["name"] == "stdout":
                out.append(content["text"])
            elif kind == "error":
                error = content["ename"]
            elif kind == "execute_reply":
                replied = True
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
        return "".join(out), error

    def shutdown(self):
        self.ws.close()
        self.server.request("DELETE", f"/api/kernels/{self.id}")
