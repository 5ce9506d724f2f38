"""The ceiling of the stack: a bare Flask app, served exactly like the real ones."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"


@app.get("/healthz")
def healthz() -> str:
    return "ok"
