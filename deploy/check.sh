#!/usr/bin/env bash
# Tries the deployment files on this machine, as docs/deployment.md installs them:
#   1. the systemd units pass `systemd-analyze verify` without a single warning;
#   2. the nginx site (with a self-signed certificate) passes `nginx -t`, and nginx really serves
#      Testigo over HTTPS through gunicorn (`testigo serve`): a public page, a static file, the
#      tip line, HSTS, the HTTP->HTTPS redirect, the onion entrance without HSTS, and no client
#      address or user agent in any nginx log;
#   3. the torrc passes `tor --verify-config`.
# Needs: systemd-analyze (systemd), nginx, tor, openssl, curl (Debian: apt-get install nginx tor).
# Runs unprivileged or as root; touches nothing outside a temporary directory, on free ports.
# Usage: deploy/check.sh [TESTIGO_COMMAND]   (default: the `testigo` next to this Python, or on PATH)
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
TESTIGO="${1:-${TESTIGO_COMMAND:-$(command -v testigo || true)}}"
HOST=reportes.example.org
ONION=abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvw.onion
PROBE_AGENT="TestigoDeployProbe/1.0"
FAILURES=0

fail() { echo "FAIL: $*" >&2; FAILURES=$((FAILURES + 1)); }
ok() { echo "ok: $*"; }

for tool in systemd-analyze nginx tor openssl curl; do
  if ! command -v "$tool" >/dev/null && [ ! -x "/usr/sbin/$tool" ]; then
    echo "MISSING: $tool (apt-get install nginx tor systemd openssl curl)" >&2
    exit 77
  fi
done
[ -n "$TESTIGO" ] && [ -x "$TESTIGO" ] || { echo "MISSING: the testigo command (give its path)" >&2; exit 77; }
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
TOR="$(command -v tor || echo /usr/sbin/tor)"

WORK="$(mktemp -d /tmp/testigo-deploy-check.XXXXXX)"
chmod 0755 "$WORK"   # nginx's workers (nobody when run as root) read the certificate dir below
PIDS=()
cleanup() {
  [ -f "$WORK/nginx/nginx.pid" ] && kill "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null || true
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  sleep 1
  [ -n "${KEEP_WORK:-}" ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- 1. systemd units --------------------------------------------------------------------------
# The units as shipped, with only what differs on this machine replaced: the path of the testigo
# command (docs: /opt/testigo/venv/bin/testigo) and the user, if no `testigo` user exists here.
mkdir -p "$WORK/units"
for unit in "$HERE"/systemd/*.service; do
  sed -e "s#/opt/testigo/venv/bin/testigo#$TESTIGO#" "$unit" > "$WORK/units/$(basename "$unit")"
  if ! id testigo >/dev/null 2>&1; then
    sed -i -e 's/^User=testigo$/User=daemon/' -e 's/^Group=testigo$/Group=daemon/' "$WORK/units/$(basename "$unit")"
  fi
done
if out="$(cd "$WORK/units" && systemd-analyze verify --man=no ./*.service 2>&1)" && [ -z "$out" ]; then
  ok "systemd-analyze verify: $(cd "$WORK/units" && ls)"
else
  fail "systemd-analyze verify: ${out:-exit status non-zero}"
fi
for unit in "$WORK"/units/*.service; do
  grep -q '^Restart=on-failure$' "$unit" || fail "$(basename "$unit") does not restart on failure"
done

# --- 2. nginx in front of gunicorn ---------------------------------------------------------------
APP_PORT=$(free_port); HTTPS_PORT=$(free_port); HTTP_PORT=$(free_port); ONION_PORT=$(free_port)
DATA="$WORK/data"; mkdir -m 0700 "$DATA"
# The example settings file as docs/deployment.md has the admin fill it in (sections 4 and 8),
# read by testigo-manage exactly as systemd's EnvironmentFile= reads it for the units.
sed -e "s#/var/lib/testigo#$DATA#" -e 's/^#TESTIGO_TILE_ATTRIBUTION=/TESTIGO_TILE_ATTRIBUTION=/' \
  "$HERE/testigo.env.example" > "$WORK/testigo.env"
cat >> "$WORK/testigo.env" <<ENV
TESTIGO_ALLOWED_HOSTS=$HOST,$ONION
TESTIGO_CSRF_TRUSTED_ORIGINS=https://$HOST:$HTTPS_PORT,http://$ONION
TESTIGO_WEB_WORKERS=1
ENV
for name in $(env | grep -o '^TESTIGO_[A-Z_]*'); do unset "$name"; done
manage() { TESTIGO_ENV_FILE="$WORK/testigo.env" TESTIGO_COMMAND="$TESTIGO" TESTIGO_USER="$(id -un)" "$HERE/testigo-manage" "$@"; }
STARTED=$SECONDS
manage migrate -v 0 >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log" >&2; fail "testigo-manage migrate"; }
# What testigo-web.service runs.
# exec all the way down, so $! is testigo serve itself and cleanup's kill stops it (and gunicorn)
(TESTIGO_ENV_FILE="$WORK/testigo.env" TESTIGO_COMMAND="$TESTIGO" TESTIGO_USER="$(id -un)" \
  exec "$HERE/testigo-manage" serve --host 127.0.0.1 --port "$APP_PORT") >"$WORK/serve.log" 2>&1 &
PIDS+=($!)
if out="$(manage audit-verify 2>&1)"; then ok "testigo-manage reads the settings file: audit-verify"; else fail "testigo-manage audit-verify: $out"; fi

mkdir -p "$WORK/nginx/conf" "$WORK/nginx/logs" "$WORK/cert"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$HOST" -addext "subjectAltName=DNS:$HOST" \
  -keyout "$WORK/cert/privkey.pem" -out "$WORK/cert/fullchain.pem" >/dev/null 2>&1
# The three files as shipped; only paths and ports that differ from a real server are replaced.
render() {
  sed -e "s#/etc/letsencrypt/live/$HOST/#$WORK/cert/#" \
      -e "s#/etc/nginx/snippets/#$WORK/nginx/conf/#" \
      -e "s#/var/log/nginx/#$WORK/nginx/logs/#" \
      -e "s#/run/testigo-nginx-body#$WORK/nginx/body#" \
      -e "s#/var/www/letsencrypt#$WORK/acme#" \
      -e "s#127.0.0.1:8000#127.0.0.1:$APP_PORT#" \
      -e "s#listen 127.0.0.1:8081;#listen 127.0.0.1:$ONION_PORT;#" \
      -e "s#listen 443 #listen 127.0.0.1:$HTTPS_PORT #" -e "s#listen 80 #listen 127.0.0.1:$HTTP_PORT #" \
      -e '/listen \[::\]/d' "$1"
}
for file in testigo.conf testigo-onion.conf testigo-proxy.conf; do
  render "$HERE/nginx/$file" > "$WORK/nginx/conf/$file"
done
USER_LINE=""; [ "$(id -u)" = 0 ] && USER_LINE="user nobody nogroup;"
cat > "$WORK/nginx/nginx.conf" <<CONF
# Debian's /etc/nginx/nginx.conf, reduced to what the site needs.
$USER_LINE
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/main-error.log;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log $WORK/nginx/logs/main-access.log;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi; uwsgi_temp_path $WORK/nginx/uwsgi; scgi_temp_path $WORK/nginx/scgi;
    include $WORK/nginx/conf/testigo.conf;
    include $WORK/nginx/conf/testigo-onion.conf;
}
CONF
if out="$("$NGINX" -t -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" 2>&1)"; then
  ok "nginx -t"
else
  fail "nginx -t: $out"
fi
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" || fail "nginx did not start"

# Wait for gunicorn (collectstatic first) behind nginx.
for _ in $(seq 1 240); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -k --resolve "$HOST:$HTTPS_PORT:127.0.0.1" "https://$HOST:$HTTPS_PORT/" || true)
  [ "$code" = 200 ] && break
  sleep 0.5
done
ok "migrate, collectstatic and gunicorn up in $((SECONDS - STARTED)) s"
https() { curl -sS -k -A "$PROBE_AGENT" --resolve "$HOST:$HTTPS_PORT:127.0.0.1" "$@"; }

headers="$(https -D - -o "$WORK/home.html" "https://$HOST:$HTTPS_PORT/")"
if echo "$headers" | grep -q '^HTTP/[0-9.]* 200' && grep -q '<html' "$WORK/home.html"; then
  ok "HTTPS through nginx to gunicorn: the public map page"
else
  fail "public page over HTTPS: $(echo "$headers" | head -1); serve.log: $(tail -5 "$WORK/serve.log")"
fi
echo "$headers" | grep -qi '^strict-transport-security: max-age=31536000' && ok "HSTS" || fail "no HSTS header"
static_path="$(grep -o '/static/[^"]*site[^"]*\.css' "$WORK/home.html" | head -1)"
if [ -n "$static_path" ] && https -f -o "$WORK/site.css" "https://$HOST:$HTTPS_PORT$static_path" && [ -s "$WORK/site.css" ] \
   && cmp -s "$WORK/site.css" "$(dirname "$HERE")/testigo/static/testigo/site.css" 2>/dev/null || grep -q '{' "$WORK/site.css" 2>/dev/null; then
  ok "static file: $static_path"
else
  fail "static file ${static_path:-(no stylesheet link on the page)}"
fi
tip_headers="$(https -D - -o /dev/null "https://$HOST:$HTTPS_PORT/tip/")"
echo "$tip_headers" | grep -q '^HTTP/[0-9.]* 200' && ok "tip line over HTTPS" || fail "tip line over HTTPS: $(echo "$tip_headers" | head -1)"
if echo "$tip_headers" | grep -i '^set-cookie:' | grep -qi 'secure'; then
  ok "the app knows the request came over HTTPS (Secure cookie)"
else
  fail "no Secure cookie over HTTPS: is X-Forwarded-Proto passed and TESTIGO_BEHIND_PROXY=1?"
fi
https -o /dev/null -w '%{http_code}' "https://$HOST:$HTTPS_PORT/report/" | grep -q 200 && ok "report form over HTTPS" || fail "report form"
redirect="$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' -A "$PROBE_AGENT" -H "Host: $HOST" "http://127.0.0.1:$HTTP_PORT/tip/")"
case "$redirect" in "301 https://$HOST/tip/") ok "HTTP redirects to HTTPS" ;; *) fail "HTTP redirect: $redirect" ;; esac
# A visitor who claims HTTPS on the onion entrance is not believed.
onion_headers="$(curl -sS -D - -o /dev/null -A "$PROBE_AGENT" -H "Host: $ONION" -H "X-Forwarded-Proto: https" \
  -H "X-Forwarded-Ssl: on" "http://127.0.0.1:$ONION_PORT/tip/")"
if echo "$onion_headers" | grep -q '^HTTP/[0-9.]* 200' && ! echo "$onion_headers" | grep -qi 'strict-transport-security' \
   && ! echo "$onion_headers" | grep -i '^set-cookie:' | grep -qi 'secure'; then
  ok "onion entrance: the tip line over plain HTTP, no HSTS, no Secure cookie"
else
  fail "onion entrance: $(echo "$onion_headers" | tr -d '\r' | head -12 | tr '\n' '|')"
fi
curl -sS -o /dev/null -A "$PROBE_AGENT" -H "Host: $HOST" "http://127.0.0.1:$HTTP_PORT/" || true
sleep 0.5
logged="$(cat "$WORK"/nginx/logs/*.log)"
if echo "$logged" | grep -q '127\.0\.0\.1\|TestigoDeployProbe'; then
  fail "an nginx log holds a client address or user agent: $(echo "$logged" | grep '127\.0\.0\.1\|TestigoDeployProbe' | head -3)"
elif echo "$logged" | grep -q '/tip/\|/report/'; then
  fail "an nginx log holds a tip-line or report-form request"
elif ! grep -q '"GET /" 200' "$WORK/nginx/logs/testigo.access.log"; then
  fail "the address-free access log is empty: $(head -3 "$WORK/nginx/logs/testigo.access.log")"
else
  ok "nginx logs: no address, no user agent; tip line and report form not logged"
fi
if grep -v "http://127.0.0.1:$APP_PORT/" "$WORK/serve.log" | grep -q '127\.0\.0\.1\|TestigoDeployProbe'; then
  fail "the app's log holds a client address or user agent"
fi

# --- 3. Tor onion service ------------------------------------------------------------------------
mkdir -m 0700 "$WORK/tor" "$WORK/tor/data" "$WORK/tor/testigo"
sed -e "s#/var/lib/tor/testigo/#$WORK/tor/testigo/#" "$HERE/tor/torrc" > "$WORK/tor/torrc"
echo "DataDirectory $WORK/tor/data" >> "$WORK/tor/torrc"
if out="$("$TOR" --verify-config -f "$WORK/tor/torrc" --defaults-torrc /dev/null 2>&1)"; then
  ok "tor --verify-config"
else
  fail "tor --verify-config: $(echo "$out" | tail -5)"
fi

if [ "$FAILURES" -gt 0 ]; then
  echo "$FAILURES check(s) failed" >&2
  exit 1
fi
echo "all deployment checks passed"
