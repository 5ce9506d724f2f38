"""Production entry point: ``gunicorn resource.wsgi:app``."""

from resource import create_app

app = create_app()
