"""Production entry point: ``gunicorn resource.wsgi:app``."""

from resource import create_app
from shared.forks import freeze_startup_objects

app = create_app()
freeze_startup_objects()
