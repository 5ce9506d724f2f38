#!/bin/sh
# Serve the three apps on loopback with granian, the production WSGI server, until Ctrl-C:
# the authorization server (5000), the resource server (5001, authenticating with the demo
# resource-server credentials `manage.py demo` kept in instance/demo.env) and the example app
# (8000, examples/web_app, configured like any third-party app: from the environment).
# AUTH_PORT, RESOURCE_PORT and WEB_APP_PORT move them (with AUTHSERVER_ISSUER to match).
set -eu
set -a
. "${AUTHSERVER_INSTANCE_PATH:-instance}/demo.env"
set +a
AUTH_PORT=${AUTH_PORT:-5000} RESOURCE_PORT=${RESOURCE_PORT:-5001} WEB_APP_PORT=${WEB_APP_PORT:-8000}
# RFC 8707: the resource server's identifier, and the audience of tokens whose request names none,
# so that every demo token is for this resource server (and refused by any other).
export RESOURCE_URL="${RESOURCE_URL:-http://127.0.0.1:$RESOURCE_PORT}"
export AUTHSERVER_DEFAULT_RESOURCE="${AUTHSERVER_DEFAULT_RESOURCE:-$RESOURCE_URL}"
serve() {
    port=$1
    shift
    # A worker that has not stopped 5 s after Ctrl-C is killed, so Ctrl-C always ends the run.
    .venv/bin/granian --interface wsgi --host 127.0.0.1 --port "$port" --workers 1 --blocking-threads 4 \
        --workers-kill-timeout 5 --log-level warning "$@" &
}
serve "$AUTH_PORT" authserver.wsgi:app
auth=$!
serve "$RESOURCE_PORT" resource.wsgi:app
resource=$!
export WEB_APP_ISSUER="${AUTHSERVER_ISSUER:-http://127.0.0.1:$AUTH_PORT}"
export WEB_APP_API_URL="http://127.0.0.1:$RESOURCE_PORT/v1"
export WEB_APP_CLIENT_ID="$DEMO_WEB_CLIENT_ID" WEB_APP_CLIENT_SECRET="$DEMO_WEB_CLIENT_SECRET"
serve "$WEB_APP_PORT" examples.web_app.wsgi:app
example=$!
stop() {
    trap - INT TERM EXIT
    kill $auth $resource $example 2>/dev/null || true
    wait  # until each server has stopped, so Ctrl-C returns to a prompt with the ports free
}
trap stop INT TERM EXIT
echo "serving: authorization server $WEB_APP_ISSUER, resource server http://127.0.0.1:$RESOURCE_PORT," \
     "example app http://127.0.0.1:$WEB_APP_PORT (Ctrl-C stops all three)"
wait
