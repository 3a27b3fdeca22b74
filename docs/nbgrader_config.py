# nbgrader configuration for a course that uses backpropnb's exercises (nbgrader 0.9.x).
#
# Copy this file into your course directory (the folder that holds source/, release/, ...)
# and run every teacher command there. docs/teaching.md walks through the whole flow;
# tests/test_nbgrader_roundtrip.py runs it with this very file.

c = get_config()  # noqa: F821  (nbgrader provides get_config when it loads this file)

# The course's name: students fetch and submit under it, so keep it short and stable.
c.CourseDirectory.course_id = "backprop"

# The exchange: a directory every student and the teacher can reach. On The Littlest JupyterHub
# the default /usr/local/share/nbgrader/exchange works once it exists with mode 777 (see the guide);
# students need the same two lines (course_id and Exchange.root) in their own nbgrader_config.py,
# or in /etc/jupyter/nbgrader_config.py for everyone on the hub.
c.Exchange.root = "/usr/local/share/nbgrader/exchange"

# Autograding runs each submitted notebook top to bottom in a fresh kernel. A cell that runs
# longer than this many seconds (an infinite loop in a student's answer) is interrupted, scores
# 0, and grading goes on with the next cell. Every check in the exercises takes well under a second.
c.Execute.timeout = 30

# The grading kernels encrypt what they send (CurveZMQ keys made by jupyter_client 8.10 or later),
# so ipykernel 7.4 and later no longer warns "Kernel is running over TCP without encryption" for
# every notebook autograde runs. With an older jupyter_client, delete this line.
c.KernelManager.transport_encryption = "auto"

# A student who deletes a test cell gets it back, graded like any other, instead of losing its points
# silently (nbgrader logs "Missing grade cell ... adding to notebook").
c.OverwriteCells.add_missing_cells = True
