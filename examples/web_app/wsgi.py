"""The example app for a WSGI server: ``granian --interface wsgi examples.web_app.wsgi:app``."""

from examples.web_app import create_app

app = create_app()
