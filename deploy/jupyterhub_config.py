# JupyterHub configuration for a class that uses backpropnb's exercises with nbgrader (0.9.x).
#
# One server, plain JupyterHub run as root: students and instructors log in with their Unix
# account (PAM), and each one's Jupyter server runs as that Unix user (LocalProcessSpawner), so
# every student's files are theirs alone. nbgrader's exchange is a directory on this server.
# deploy/README.md says how to install and start it; tests/test_hub.py runs a class through it.
#
# What the class is made of, each overridable by an environment variable of the hub's process:
#   BACKPROP_STUDENTS     Unix group of the students (default backprop-students)
#   BACKPROP_INSTRUCTORS  Unix group of the instructors (default backprop-instructors)
#   BACKPROP_EXCHANGE     nbgrader's exchange directory (default /srv/nbgrader/exchange)

import grp
import os
import sys

c = get_config()  # noqa: F821  (JupyterHub provides get_config when it loads this file)

HERE = os.path.dirname(os.path.abspath(__file__))
STUDENTS = os.environ.get("BACKPROP_STUDENTS", "backprop-students")
INSTRUCTORS = os.environ.get("BACKPROP_INSTRUCTORS", "backprop-instructors")
EXCHANGE = os.environ.get("BACKPROP_EXCHANGE", "/srv/nbgrader/exchange")

# Everything runs from the Python environment the hub runs from: jupyterhub, nbgrader (with its
# JupyterLab extensions), jupyterlab and backpropnb. Its kernel is what autograde and students use.
BIN = os.path.join(sys.prefix, "bin")

# --- who may log in --------------------------------------------------------------------------
# PAM checks the Unix password; only members of the two groups get in. Instructors are not hub
# admins: they grade, they do not manage other people's servers.
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.allowed_groups = {STUDENTS, INSTRUCTORS}


def in_unix_group(name, group):
    try:
        return name in grp.getgrnam(group).gr_mem
    except KeyError:
        return False


# --- each user's server ----------------------------------------------------------------------
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [os.path.join(BIN, "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.env_keep = ["LANG", "LC_ALL"]  # nothing of the hub's own PYTHONPATH or VIRTUAL_ENV
c.Spawner.http_timeout = 180  # s for a server to answer once started: 30 at once on 2 cores took over 60
c.Spawner.start_timeout = 180

# The Jupyter configuration of the class (deploy/jupyter/): for everyone, nbgrader's course id and
# exchange and the teacher's panels hidden; for instructors, before it, the course directory
# ~/course and the Formgrader and Create Assignment panels back.
CLASS_CONFIG = os.path.join(HERE, "jupyter", "class")
INSTRUCTOR_CONFIG = os.path.join(HERE, "jupyter", "instructor")


def pre_spawn_hook(spawner):
    instructor = in_unix_group(spawner.user.name, INSTRUCTORS)
    path = [INSTRUCTOR_CONFIG, CLASS_CONFIG] if instructor else [CLASS_CONFIG]
    spawner.environment.update(
        {
            "PATH": os.pathsep.join([BIN, "/usr/local/bin", "/usr/bin", "/bin"]),
            "JUPYTER_CONFIG_PATH": os.pathsep.join(path),
            "BACKPROP_EXCHANGE": EXCHANGE,
        }
    )
    spawner.log.info("%s starts as %s", spawner.user.name, "instructor" if instructor else "student")


c.Spawner.pre_spawn_hook = pre_spawn_hook


# The hub's own groups follow the Unix ones at every log-in: "instructors" or "students" (the admin
# page shows them). With manage_groups the hub wants a list of groups from every log-in.
def post_auth_hook(authenticator, handler, authentication):
    instructor = in_unix_group(authentication["name"], INSTRUCTORS)
    authentication["groups"] = ["instructors"] if instructor else ["students"]
    return authentication


c.Authenticator.post_auth_hook = post_auth_hook
c.Authenticator.manage_groups = True

# --- nbgrader's exchange ---------------------------------------------------------------------
# One directory every user writes to: release puts assignments there, students put submissions
# there, nbgrader keeps students out of each other's submissions (inbound is write-only for them).
# The hub makes it at start with the mode nbgrader needs.
os.makedirs(EXCHANGE, exist_ok=True)
os.chmod(EXCHANGE, 0o777)

# --- the hub itself --------------------------------------------------------------------------
c.JupyterHub.bind_url = "http://:8000"  # put TLS in front (TLJH, nginx or Caddy) for a real class
c.ConfigurableHTTPProxy.command = ["configurable-http-proxy"]
c.JupyterHub.cleanup_servers = True
