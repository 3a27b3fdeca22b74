"""A class on JupyterHub, end to end: deploy/jupyterhub_config.py with real Unix accounts.

The test makes an instructor and three students as local system accounts (plus one outsider who
is in neither of the class's groups), starts JupyterHub from .venv-hub with the class's
configuration (PAM log-in, every server run as its Unix user by LocalProcessSpawner,
configurable-http-proxy from npm) on 127.0.0.1 with free ports, and then, only through the hub's
REST API and each user's own server (contents API, nbgrader's Assignments and Formgrader server
extensions, kernels):

- the instructor puts exercise 01's solution into ~/course/source/ex01, generates and releases it;
- each student fetches it; ann leaves it untouched, bob solves it, cat first hands in one answer and
  then resubmits with half the points' worth (the add, mul and max gates: 3 of 6 points);
- the instructor collects, autogrades, generates and releases feedback; the students fetch theirs.

Asserted: every check's score and every total, that the resubmission replaced the first one, the
feedback each student gets, that a student's kernel cannot read another student's files nor the
instructor's course (the solutions), nor list the exchange's inbound, and that students have no
Formgrader. Every server is stopped and every account, group and directory removed afterwards,
also when something fails.

Needs root (useradd, and the hub spawns servers as other users), .venv-hub and the npm proxy,
all of which ``make test`` provides (``make test-hub`` alone); without them the test skips, and
fails under CI=true.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hub_client import Hub, Server  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HUB_VENV = ROOT / ".venv-hub"
JUPYTERHUB = HUB_VENV / "bin" / "jupyterhub"
PROXY = ROOT / ".hub-node" / "node_modules" / ".bin" / "configurable-http-proxy"
SOLUTION = ROOT / "notebooks/solutions/01_scalar_gates.ipynb"
NOTEBOOK = "01_scalar_gates.ipynb"

TAG = f"bph{secrets.token_hex(2)}"  # prefix of every account and group the test makes
INSTRUCTOR = f"{TAG}-teach"
STUDENTS = {"ann": f"{TAG}-ann", "bob": f"{TAG}-bob", "cat": f"{TAG}-cat"}
OUTSIDER = f"{TAG}-eve"
GROUPS = {"students": f"{TAG}-students", "instructors": f"{TAG}-instructors"}

ANSWERS = ["add_backward", "mul_backward", "max_backward", "copy_backward", "sigmoid_backward"]
POINTS = {"test_add_backward": 1, "test_mul_backward": 1, "test_max_backward": 1}
POINTS |= {"test_copy_backward": 1, "test_sigmoid_backward": 2}

pytestmark = [pytest.mark.hub, pytest.mark.xdist_group("hub")]


def skip_or_fail(message):
    if os.environ.get("CI"):
        pytest.fail(message + "; under CI the hub test must run")
    pytest.skip(message)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sh(*argv):
    subprocess.run(argv, check=True, capture_output=True, text=True)


def grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def answered(notebook, names):
    """The student's ``notebook`` with the solution's answer cells ``names`` put in."""
    solution = json.loads(SOLUTION.read_text(encoding="utf-8"))
    answers = {grade_id(cell): cell["source"] for cell in solution["cells"]}
    notebook = copy.deepcopy(notebook)
    for cell in notebook["cells"]:
        if grade_id(cell) in names:
            cell["source"] = answers[grade_id(cell)]
    return notebook


class Accounts:
    """The test's Unix groups and accounts, under a base directory of their own."""

    def __init__(self, base):
        self.base = base
        self.users = []
        self.groups = []
        self.passwords = {}

    def group(self, name):
        sh("groupadd", name)
        self.groups.append(name)

    def user(self, name, group=None):
        home = self.base / "home" / name
        argv = ["useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/bash"]
        sh(*argv, *(["--groups", group] if group else []), name)
        self.users.append(name)
        home.chmod(0o700)  # deploy/README.md: HOME_MODE 0700, as on any multi-user server
        self.passwords[name] = secrets.token_urlsafe(12)
        subprocess.run(["chpasswd"], input=f"{name}:{self.passwords[name]}\n", text=True, check=True)

    def remove(self):
        for name in self.users:
            pids = subprocess.run(["ps", "-u", name, "-o", "pid="], capture_output=True, text=True).stdout
            for pid in pids.split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)
            subprocess.run(["userdel", "--remove", name], capture_output=True)
        for name in self.groups:
            subprocess.run(["groupdel", name], capture_output=True)


def hub_config(base, ports, token):
    return f"""
c = get_config()
load_subconfig({str(ROOT / "deploy/jupyterhub_config.py")!r})
c.JupyterHub.bind_url = "http://127.0.0.1:{ports["public"]}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{ports["hub"]}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{ports["proxy_api"]}"
c.ConfigurableHTTPProxy.command = [{str(PROXY)!r}]
c.JupyterHub.db_url = "sqlite:///{base / "hub/jupyterhub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(base / "hub/cookie_secret")!r}
c.JupyterHub.services = [{{"name": "test-driver", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "test-driver", "services": ["test-driver"],
    "scopes": ["admin:users", "admin:servers", "tokens", "admin:groups"]}}]
"""


class Classroom:
    """Runs the whole class once and keeps what the tests below look at."""

    def __init__(self, base):
        self.base = base
        self.exchange = base / "exchange"
        self.accounts = Accounts(base)
        self.hub_process = None
        self.hub = None
        self.servers = {}
        self.logins = {}
        self.results = {}

    def start(self):
        (self.base / "home").mkdir(mode=0o755)
        (self.base / "hub").mkdir(mode=0o700)
        for group in GROUPS.values():
            self.accounts.group(group)
        self.accounts.user(INSTRUCTOR, GROUPS["instructors"])
        for name in STUDENTS.values():
            self.accounts.user(name, GROUPS["students"])
        self.accounts.user(OUTSIDER)

        ports = {key: free_port() for key in ("public", "hub", "proxy_api")}
        token = secrets.token_hex(32)
        config = self.base / "hub/jupyterhub_config.py"
        config.write_text(hub_config(self.base, ports, token), encoding="utf-8")
        env = {key: os.environ[key] for key in ("LANG", "LC_ALL") if key in os.environ}
        env["PATH"] = f"{HUB_VENV / 'bin'}:/usr/local/bin:/usr/bin:/bin"
        env["BACKPROP_STUDENTS"] = GROUPS["students"]
        env["BACKPROP_INSTRUCTORS"] = GROUPS["instructors"]
        env["BACKPROP_EXCHANGE"] = str(self.exchange)
        self.log = open(self.base / "hub/jupyterhub.log", "w")  # noqa: SIM115  (closed in stop)
        self.hub_process = subprocess.Popen(
            [str(JUPYTERHUB), "-f", str(config)], cwd=self.base / "hub", env=env, stdout=self.log, stderr=self.log
        )
        self.hub = Hub(f"http://127.0.0.1:{ports['public']}", token)
        self.hub.wait_up()

    def stop(self):
        if self.hub is not None:
            for name in self.servers:
                self.hub.stop(name)
        if self.hub_process is not None:
            self.hub_process.send_signal(signal.SIGTERM)
            try:
                self.hub_process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.hub_process.kill()
                self.hub_process.wait()
            self.log.close()
        self.accounts.remove()

    def hub_log(self):
        return (self.base / "hub/jupyterhub.log").read_text(errors="replace")[-6000:]

    def run(self):
        hub = self.hub
        everyone = [INSTRUCTOR, *STUDENTS.values(), OUTSIDER]
        self.logins = {name: hub.login(name, self.accounts.passwords[name]) for name in everyone}
        self.logins["wrong password"] = hub.login(STUDENTS["ann"], "not-the-password")
        members = [INSTRUCTOR, *STUDENTS.values()]
        for name in members:
            hub.start(name)
        self.results["spawn seconds"] = hub.wait_ready(members)
        self.servers = {name: Server(hub.url, name, hub.token_for(name)) for name in members}
        self.results["instructors group"] = hub.api("GET", "/groups/instructors")["users"]
        self.results["students group"] = hub.api("GET", "/groups/students")["users"]

        teacher = self.servers[INSTRUCTOR]
        for folder in ("course", "course/source", "course/source/ex01"):
            teacher.mkdir(folder)
        teacher.write_notebook(f"course/source/ex01/{NOTEBOOK}", json.loads(SOLUTION.read_text(encoding="utf-8")))
        self.results["generate"] = teacher.formgrader("POST", "assignment/ex01/assign")
        self.results["release"] = teacher.formgrader("POST", "assignment/ex01/release")

        ann, bob, cat = (self.servers[STUDENTS[key]] for key in ("ann", "bob", "cat"))
        for student in (ann, bob, cat):
            student.assignments("fetch", "ex01")
        released = ann.read(f"ex01/{NOTEBOOK}")
        self.results["released"] = released
        bob.write_notebook(f"ex01/{NOTEBOOK}", answered(released, ANSWERS))
        cat.write_notebook(f"ex01/{NOTEBOOK}", answered(released, ANSWERS[:1]))
        for student in (ann, bob, cat):
            self.results[f"submit {student.name}"] = student.assignments("submit", "ex01")
        time.sleep(1.1)  # nbgrader's submission timestamps: the second one must be later
        cat.write_notebook(f"ex01/{NOTEBOOK}", answered(released, ANSWERS[:3]))
        self.results["resubmit"] = cat.assignments("submit", "ex01")
        self.results["inbound"] = sorted(
            tuple(entry.name.split("+")[::2]) for entry in (self.exchange / "backprop/inbound").iterdir()
        )  # (student, timestamp) of every submission in the exchange
        self.results["isolation"] = {student.name: self.probe(student) for student in (ann, bob, cat)}
        self.results["student formgrader"] = ann.request("GET", "/formgrader/api/status").status_code
        self.results["student lab"] = ann.request("GET", "/lab").text
        self.results["instructor lab"] = teacher.request("GET", "/lab").text

        self.results["collect"] = teacher.formgrader("POST", "assignment/ex01/collect")
        self.results["collected timestamp"] = (
            self.base / "home" / INSTRUCTOR / "course/submitted" / STUDENTS["cat"] / "ex01/timestamp.txt"
        ).read_text()
        self.results["autograde"] = {
            name: teacher.formgrader("POST", f"submission/ex01/{name}/autograde") for name in STUDENTS.values()
        }
        self.results["submissions"] = teacher.formgrader("GET", "submissions/ex01")
        self.results["grades"] = {}
        for notebook in teacher.formgrader("GET", "submitted_notebooks/ex01/01_scalar_gates"):
            grades = teacher.call("GET", "/formgrader/api/grades", params={"submission_id": notebook["id"]})
            self.results["grades"][notebook["student"]] = {g["name"]: g["auto_score"] for g in grades}
        self.results["generate_feedback"] = teacher.formgrader("POST", "assignment/ex01/generate_feedback")
        self.results["release_feedback"] = teacher.formgrader("POST", "assignment/ex01/release_feedback")
        self.results["feedback"] = {}
        for student in (ann, bob, cat):
            student.assignments("fetch_feedback", "ex01")
            folder = student.call("GET", "/api/contents/ex01/feedback")["content"]
            html = [
                student.read(f"{stamp['path']}/01_scalar_gates.html")
                for stamp in folder
                if stamp["type"] == "directory"
            ]
            self.results["feedback"][student.name] = html

    def probe(self, student):
        """What ``student``'s own kernel can read: their files yes, anybody else's no."""
        others = [name for name in STUDENTS.values() if name != student.name]
        home = self.base / "home"
        paths = {
            "own notebook": home / student.name / "ex01" / NOTEBOOK,
            "other's notebook": home / others[0] / "ex01" / NOTEBOOK,
            "other's home": home / others[1],
            "instructor's source": home / INSTRUCTOR / "course/source/ex01" / NOTEBOOK,
            "instructor's home": home / INSTRUCTOR,
            "exchange inbound": self.exchange / "backprop/inbound",
        }
        code = "import getpass, os, backpropnb\nprint(getpass.getuser())\nresult = {}\n"
        for label, path in paths.items():
            code += (
                f"try:\n    p = {str(path)!r}\n"
                f"    result[{label!r}] = len(os.listdir(p) if os.path.isdir(p) else open(p, 'rb').read()) >= 0\n"
                f"except PermissionError:\n    result[{label!r}] = False\n"
            )
        code += "import json; print(json.dumps(result))\n"
        kernel = student.kernel()
        try:
            out, error = kernel.run(code)
        finally:
            kernel.shutdown()
        assert error is None, out
        user, result = out.strip().splitlines()
        return {"user": user, **json.loads(result)}


@pytest.fixture(scope="module")
def classroom():
    if not JUPYTERHUB.exists() or not PROXY.exists():
        skip_or_fail(".venv-hub or the npm proxy is missing: `make test-hub` makes them")
    if os.geteuid() != 0:
        skip_or_fail("the hub test makes Unix accounts and spawns servers as them: it needs root")
    if shutil.which("node") is None:
        skip_or_fail("configurable-http-proxy needs node (`make test-hub` installs nodejs and npm)")
    base = Path(tempfile.mkdtemp(prefix=f"{TAG}-"))
    base.chmod(0o755)  # the students' homes and the exchange are in here
    room = Classroom(base)
    try:
        room.start()
        room.run()
    except BaseException:
        log = room.hub_log() if (base / "hub/jupyterhub.log").exists() else ""
        room.stop()
        shutil.rmtree(base, ignore_errors=True)
        raise RuntimeError(f"the class did not run through; the hub's log ends with:\n{log}") from None
    yield room
    room.stop()
    shutil.rmtree(base, ignore_errors=True)


def test_only_the_class_logs_in_with_its_unix_passwords(classroom):
    assert classroom.logins == {
        INSTRUCTOR: True,
        **{name: True for name in STUDENTS.values()},
        OUTSIDER: False,  # a Unix account, but in neither group
        "wrong password": False,
    }
    assert classroom.results["instructors group"] == [INSTRUCTOR]
    assert sorted(classroom.results["students group"]) == sorted(STUDENTS.values())


def test_every_score(classroom):
    totals = {s["student"]: (s["score"], s["max_score"]) for s in classroom.results["submissions"]}
    assert totals == {STUDENTS["ann"]: (0.0, 6.0), STUDENTS["bob"]: (6.0, 6.0), STUDENTS["cat"]: (3.0, 6.0)}
    zero = dict.fromkeys(POINTS, 0.0)
    assert classroom.results["grades"] == {
        STUDENTS["ann"]: zero,
        STUDENTS["bob"]: {name: float(points) for name, points in POINTS.items()},
        STUDENTS["cat"]: zero | {"test_add_backward": 1.0, "test_mul_backward": 1.0, "test_max_backward": 1.0},
    }
    for step in ("generate", "release", "collect", "generate_feedback", "release_feedback"):
        assert classroom.results[step]["success"], classroom.results[step]
    for name, result in classroom.results["autograde"].items():
        assert result["success"], (name, result)


def test_the_release_holds_no_solution(classroom):
    cells = classroom.results["released"]["cells"]
    sources = "".join("".join(cell["source"]) for cell in cells)
    code = "".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")
    assert code.count("raise NotImplementedError()") == len(ANSWERS)  # one stub per answer, in its place
    solution = json.loads(SOLUTION.read_text(encoding="utf-8"))
    for cell in solution["cells"]:
        if grade_id(cell) in ANSWERS:
            body = "".join(cell["source"]).split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
            assert body.strip() not in sources


def test_a_resubmission_replaces_the_first(classroom):
    # the exchange keeps both of cat's submissions; collect takes the later one, graded 3 not 1
    inbound = classroom.results["inbound"]
    assert [student for student, _ in inbound] == sorted([*STUDENTS.values(), STUDENTS["cat"]])
    first, second = sorted(stamp for student, stamp in inbound if student == STUDENTS["cat"])
    assert first < second
    assert classroom.results["collected timestamp"].strip() == second
    for key in [*("submit " + name for name in STUDENTS.values()), "resubmit"]:
        result = classroom.results[key]  # nbgrader's answer: {"success": ..., "value": [assignments]}
        assert result["success"] is True, (key, result)
        assert any(a["status"] == "submitted" for a in result["value"]), (key, result)


def test_students_get_their_own_feedback(classroom):
    expected = {STUDENTS["ann"]: "0.0 / 6.0", STUDENTS["bob"]: "6.0 / 6.0", STUDENTS["cat"]: "3.0 / 6.0"}
    for name, pages in classroom.results["feedback"].items():
        assert len(pages) == 1, name
        assert f"Score: {expected[name]}" in pages[0], name
        assert "not implemented yet" in pages[0] or name == STUDENTS["bob"]


def test_a_student_reads_only_their_own_files(classroom):
    for name, seen in classroom.results["isolation"].items():
        assert seen == {
            "user": name,  # the kernel runs as the student's Unix account, with backpropnb importable
            "own notebook": True,
            "other's notebook": False,
            "other's home": False,
            "instructor's source": False,
            "instructor's home": False,
            "exchange inbound": False,
        }, name


def disabled_extensions(lab_page):
    """The lab extensions JupyterLab's page says are disabled (its page config, embedded as JSON)."""
    start = lab_page.index('id="jupyter-config-data"')
    data = json.loads(lab_page[lab_page.index(">", start) + 1 : lab_page.index("</script>", start)])
    disabled = data.get("disabledExtensions", [])
    return set(disabled) if isinstance(disabled, list) else {name for name, off in disabled.items() if off}


def test_students_have_no_formgrader(classroom):
    assert classroom.results["student formgrader"] == 404
    assert "@jupyter/nbgrader:formgrader" in disabled_extensions(classroom.results["student lab"])
    assert "@jupyter/nbgrader:formgrader" not in disabled_extensions(classroom.results["instructor lab"])
