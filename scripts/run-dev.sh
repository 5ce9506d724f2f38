#!/bin/sh
# Serve both apps on loopback until Ctrl-C; the resource server authenticates with the demo
# resource-server credentials that `manage.py demo` wrote.
set -eu
set -a
. instance/demo.env
set +a
.venv/bin/python manage.py serve auth --port 5000 &
auth=$!
.venv/bin/python manage.py serve resource --port 5001 &
resource=$!
trap 'kill $auth $resource 2>/dev/null' INT TERM EXIT
wait
