# Read by the `flask` command in this checkout only; real environment variables win.
FLASK_APP=wsgi
PORTAL_ENV=development
