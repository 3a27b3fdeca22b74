"""How many students one server holds: N students start their servers at once and run notebook 01.

Run by hand as root (it makes N Unix accounts, starts deploy/jupyterhub_config.py on 127.0.0.1
as tests/test_hub.py does, and removes everything at the end)::

    .venv/bin/python benchmarks/hub_load.py                 # 30 students
    .venv/bin/python benchmarks/hub_load.py --students 10 --parallel 4

All N servers are asked for at the same moment through the hub's REST API; the spawn time of a
student is from that moment until the hub reports their server ready. Then every student runs
notebooks/01_scalar_gates.ipynb top to bottom in a kernel of their own server (``--parallel``
students at a time, so the run is bounded), and the memory of each student is the resident memory
of all their processes (server and kernel) once the notebook has run. This is a benchmark, not a
test: the figures depend on the machine and its load (printed first).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from hub_client import Hub, HubError, Server  # noqa: E402
from test_hub import JUPYTERHUB, PROXY, Accounts, free_port, hub_config  # noqa: E402

NOTEBOOK = ROOT / "notebooks/01_scalar_gates.ipynb"


def rss_mb(user):
    """Resident memory of every process of ``user``, in MB."""
    out = subprocess.run(["ps", "-u", user, "-o", "rss="], capture_output=True, text=True).stdout
    return sum(int(kb) for kb in out.split()) / 1024


def run_notebook(server, cells):
    """Run ``cells`` in a new kernel of ``server`` (left running: its memory is a student's)."""
    kernel = server.kernel()
    start, errors = time.monotonic(), []
    for code in cells:
        _, error = kernel.run(code)
        if error:
            errors.append(error)
    kernel.ws.close()
    return time.monotonic() - start, errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--parallel", type=int, default=6, help="students running the notebook at once")
    args = parser.parse_args()
    if os.geteuid() != 0 or not JUPYTERHUB.exists() or not PROXY.exists():
        sys.exit("needs root, .venv-hub and the npm proxy (`make test-hub` makes them)")
    print(f"load before: {os.getloadavg()} on {os.cpu_count()} cores")

    tag = f"bpl{secrets.token_hex(2)}"
    base = Path(tempfile.mkdtemp(prefix=f"{tag}-"))
    base.chmod(0o755)
    (base / "home").mkdir(mode=0o755)
    (base / "hub").mkdir(mode=0o700)
    accounts = Accounts(base)
    hub_process = log = None
    cells = ["".join(c["source"]) for c in json.loads(NOTEBOOK.read_text())["cells"] if c["cell_type"] == "code"]
    try:
        accounts.group(f"{tag}-students")
        accounts.group(f"{tag}-instructors")
        names = [f"{tag}-s{i:02d}" for i in range(args.students)]
        for name in names:
            accounts.user(name, f"{tag}-students")
        ports = {key: free_port() for key in ("public", "hub", "proxy_api")}
        token = secrets.token_hex(32)
        config = base / "hub/jupyterhub_config.py"
        config.write_text(hub_config(base, ports, token), encoding="utf-8")
        env = {"PATH": f"{JUPYTERHUB.parent}:/usr/local/bin:/usr/bin:/bin", "BACKPROP_EXCHANGE": str(base / "exchange")}
        env |= {"BACKPROP_STUDENTS": f"{tag}-students", "BACKPROP_INSTRUCTORS": f"{tag}-instructors"}
        log = open(base / "hub/jupyterhub.log", "w")  # noqa: SIM115
        hub_process = subprocess.Popen(
            [str(JUPYTERHUB), "-f", str(config)], cwd=base / "hub", env=env, stdout=log, stderr=log
        )
        hub = Hub(f"http://127.0.0.1:{ports['public']}", token)
        hub.wait_up()
        for name in names:
            hub.api("POST", f"/users/{name}")
        start = time.monotonic()

        def spawn_one(name):  # a hub client each, as N browsers would be
            own = Hub(hub.url, token)
            own.start(name)
            try:
                own.wait_ready([name], timeout=300)
            except HubError:
                return None  # the hub gave up on this server (its log says why)
            return time.monotonic() - start

        with ThreadPoolExecutor(len(names)) as pool:
            spawn = dict(zip(names, pool.map(spawn_one, names)))
        load_spawned = os.getloadavg()
        failed = [name for name, seconds in spawn.items() if seconds is None]
        names = [name for name in names if name not in failed]
        spawn = {name: spawn[name] for name in names}
        print(f"{len(failed)} of {args.students} servers never became ready")
        servers = [Server(hub.url, name, hub.token_for(name)) for name in names]
        with ThreadPoolExecutor(args.parallel) as pool:
            runs = list(pool.map(lambda s: run_notebook(s, cells), servers))
        memory = [rss_mb(name) for name in names]
        load_run = os.getloadavg()
        times = sorted(spawn.values())
        per = statistics.median(memory)
        print(
            f"{args.students} students, servers asked for at once: spawn median {statistics.median(times):.1f} s, max {times[-1]:.1f} s (load {load_spawned[0]:.2f})"
        )
        run_times = sorted(t for t, _ in runs)
        errors = sum(len(e) for _, e in runs)
        print(
            f"notebook 01 ({len(cells)} code cells), {args.parallel} at a time: median {statistics.median(run_times):.1f} s, max {run_times[-1]:.1f} s, {errors} cell errors (load {load_run[0]:.2f})"
        )
        print(f"memory per student (server + kernel after notebook 01): median {per:.0f} MB, max {max(memory):.0f} MB")
        print(
            f"one 8 GB server, 1.5 GB kept for the system and the hub: about {int(6.5 * 1024 // per)} students with a kernel each"
        )
    finally:
        if hub_process is not None:
            hub_process.terminate()
            try:
                hub_process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                hub_process.kill()
            log.close()
        accounts.remove()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
