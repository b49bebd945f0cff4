"""gunicorn settings for the neutral floor: none. ``make bench`` passes this file with ``-c`` so
that gunicorn does not read the portal's ``gunicorn.conf.py`` from the working directory, and
gives the worker count, class and threads on the command line (``neutral_gunicorn_command``):
the same workers as the portal's, without its hooks, logging or worker restarts."""
