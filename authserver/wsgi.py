"""Production entry point: ``gunicorn authserver.wsgi:app``."""

from authserver import create_app
from shared.forks import freeze_startup_objects

app = create_app()
freeze_startup_objects()
