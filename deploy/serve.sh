#!/usr/bin/env bash
# `make serve`: the production profile on this machine, from the same deploy/ files a server uses:
# nginx on 127.0.0.1:8080 (buffering proxy, static files) -> gunicorn on 127.0.0.1:8001 -> the
# app, plus the outbox worker. Everything runs in the foreground; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."

export RUN_DIR="${RUN_DIR:-$PWD/instance/serve}"
export PORTAL_ROOT="$PWD"
export NGINX_LISTEN="${NGINX_LISTEN:-127.0.0.1:8080}" SERVER_NAME="${SERVER_NAME:-127.0.0.1}"
export GUNICORN_BIND="${GUNICORN_BIND:-127.0.0.1:8001}"
export APP_UPSTREAM="${APP_UPSTREAM:-$GUNICORN_BIND}"  # nginx and gunicorn write both forms alike
export PROXY_FIX_HOPS="${PROXY_FIX_HOPS:-1}" OUTBOX_DELIVERY="${OUTBOX_DELIVERY:-worker}"
export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-$RUN_DIR/metrics}"
export PUBLIC_URL="${PUBLIC_URL:-http://$NGINX_LISTEN}"

mkdir -p "$RUN_DIR"/nginx-{body,proxy,fastcgi,uwsgi,scgi}
.venv/bin/python deploy/render.py deploy/nginx/mvi-portal.conf "$RUN_DIR/mvi-portal.conf"
.venv/bin/python deploy/render.py deploy/nginx/serve.conf "$RUN_DIR/nginx.conf"
if [ "$(id -u)" = 0 ]; then  # nginx started by root hands its workers to "nobody" unless told
  sed -i "1i user $(id -un);" "$RUN_DIR/nginx.conf"
fi
nginx -e stderr -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -t -q

pids=()
stop() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait || true; }
trap stop INT TERM EXIT
.venv/bin/gunicorn -c deploy/gunicorn.conf.py 'portal:create_app()' & pids+=($!)
.venv/bin/flask --app portal outbox work & pids+=($!)
nginx -e stderr -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" & pids+=($!)
echo "MVI-kennisportaal: http://$NGINX_LISTEN (nginx) -> $GUNICORN_BIND (gunicorn); Ctrl-C stopt alles."
wait -n  # when one of them stops, stop the others
