# nbgrader's configuration for everyone on the hub (students and instructors): which course and
# where the exchange is. The hub puts this folder on JUPYTER_CONFIG_PATH (deploy/jupyterhub_config.py).
import os

c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "backprop"
c.Exchange.root = os.environ.get("BACKPROP_EXCHANGE", "/srv/nbgrader/exchange")
