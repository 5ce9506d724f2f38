#!/bin/sh
# Serve the three apps on loopback with granian, the production WSGI server, until Ctrl-C:
# the authorization server (5000), the resource server (5001, authenticating with the demo
# resource-server credentials `manage.py demo` kept in instance/demo.env) and the example app
# (8000, examples/web_app, configured like any third-party app: from the environment).
set -eu
set -a
. instance/demo.env
# RFC 8707: the resource server's identifier, and the audience of tokens whose request names none,
# so that every demo token is for this resource server (and refused by any other).
RESOURCE_URL="${RESOURCE_URL:-http://127.0.0.1:5001}"
AUTHSERVER_DEFAULT_RESOURCE="${AUTHSERVER_DEFAULT_RESOURCE:-$RESOURCE_URL}"
set +a
serve() {
    port=$1
    shift
    .venv/bin/granian --interface wsgi --host 127.0.0.1 --port "$port" --workers 1 --blocking-threads 4 --workers-kill-timeout 5 \
        --log-level warning "$@" &
}
serve 5000 authserver.wsgi:app
auth=$!
serve 5001 resource.wsgi:app
resource=$!
export WEB_APP_ISSUER="${AUTHSERVER_ISSUER:-http://127.0.0.1:5000}" WEB_APP_API_URL=http://127.0.0.1:5001/v1
export WEB_APP_CLIENT_ID="$DEMO_WEB_CLIENT_ID" WEB_APP_CLIENT_SECRET="$DEMO_WEB_CLIENT_SECRET"
serve 8000 examples.web_app.wsgi:app
example=$!
trap 'kill $auth $resource $example 2>/dev/null' INT TERM EXIT
echo "serving: authorization server http://127.0.0.1:5000, resource server http://127.0.0.1:5001," \
     "example app http://127.0.0.1:8000 (Ctrl-C stops all three)"
wait
