from __future__ import annotations

from flask import Blueprint

bp = Blueprint("federation", __name__)
