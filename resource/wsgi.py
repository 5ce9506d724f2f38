"""Production entry point: ``gunicorn resource.wsgi:app``."""

from resource import create_app
from resource.workers import claim_the_only_process
from shared.config import Config
from shared.forks import freeze_startup_objects

config = Config.from_env()
claim_the_only_process(config)
app = create_app(config)
freeze_startup_objects()
