"""Command-line commands, one module per area.

Every module here that defines ``commands`` (a list of click commands) is added to the
``avestavard`` command group by :func:`avestavard.cli.register_commands`.
"""
