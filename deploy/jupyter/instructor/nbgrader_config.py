# nbgrader's configuration for instructors only (read before the class's one): the course
# directory is ~/course (source/, release/, submitted/, ... and gradebook.db), and how
# autograde runs. The same settings as docs/nbgrader_config.py, which explains each.
import os

c = get_config()  # noqa: F821
c.CourseDirectory.root = os.path.expanduser("~/course")
c.Execute.timeout = 30
c.KernelManager.transport_encryption = "auto"
c.OverwriteCells.add_missing_cells = True
