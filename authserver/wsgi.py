"""Production entry point: ``gunicorn authserver.wsgi:app``."""

from authserver import create_app

app = create_app()
