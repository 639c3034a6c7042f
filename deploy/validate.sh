#!/usr/bin/env bash
# Checks deploy/compose.yaml, deploy/.env.example and deploy/nginx.conf without a Docker engine.
#
#   deploy/validate.sh     as root on Debian 12; installs what is missing (apt: nginx-light,
#                          docker-compose, curl, nodejs/npm; npm: dclint into ~/.cache)
#
# 1. dclint (npm, Compose Specification JSON schema + best-practice rules), no warnings allowed.
# 2. docker-compose 1.29.2 (Debian) `config`: interpolation, ${VAR:?} required variables,
#    references between services, networks and volumes. It predates the top-level `name` and
#    `host_ip`, so it reads a copy without those two lines. With .env.example as it is (secrets
#    empty) it must refuse; with the secrets filled in it must accept.
#    `docker compose config` (Compose v2) runs too when the plugin is installed.
# 3. The fixed addresses agree: compose's networks, KnownProxies and nginx.conf's upstreams.
# 4. nginx -t on nginx.conf as it is (its upstreams are addresses, so nothing needs resolving).
# 5. Routing smoke test: nginx.conf with its two upstream addresses and its port swapped for
#    loopback ones, in front of two stub backends (nginx too), checked with curl: the sticky
#    cookie, stickiness of pages, circuits and hubs, spreading, WebSocket and forwarded headers,
#    failover.
# Exits non-zero at the first failed check.
set -euo pipefail
cd "$(dirname "$0")"
DEPLOY=$(pwd)
COMPOSE="$DEPLOY/compose.yaml"
NGINX_CONF="$DEPLOY/nginx.conf"
ENV_EXAMPLE="$DEPLOY/.env.example"

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

TMP=$(mktemp -d /tmp/opsconsole-validate.XXXXXX)
chmod 755 "$TMP"
cleanup() {
  local pid
  for pidfile in "$TMP"/*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  done
  rm -rf "$TMP"
}
trap cleanup EXIT

ensure_packages() {
  local missing=()
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
  command -v docker-compose >/dev/null || missing+=(docker-compose)
  command -v curl >/dev/null || missing+=(curl)
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
  [ ${#missing[@]} -eq 0 ] && return
  if [ "$(id -u)" != "0" ]; then
    fail "missing ${missing[*]}: run 'sudo apt-get install -y ${missing[*]}' once, then retry"
  fi
  step "Installing ${missing[*]} (Debian packages)"
  # Keep the packages from starting a system-wide nginx on port 80: only the binary is needed.
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=1
  fi
  local installed=1
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; } || installed=0
  if [ "$own_policy" = 1 ]; then rm -f "$policy"; fi
  [ "$installed" = 1 ] || fail "apt-get could not install ${missing[*]}"
}
PATH="$PATH:/usr/sbin"

# dclint 3.x needs Node.js 20.19 or later; Debian 12's own nodejs is 18, for which 2.2.2 is used.
ensure_dclint() {
  local version
  if node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
    version=3.1.0
  else
    version=2.2.2
  fi
  local dir="${XDG_CACHE_HOME:-$HOME/.cache}/opsconsole-validate/dclint-$version"
  if [ ! -x "$dir/node_modules/.bin/dclint" ]; then
    step "Installing dclint $version (npm) into $dir"
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error --no-save "dclint@$version" >/dev/null
  fi
  DCLINT="$dir/node_modules/.bin/dclint"
  DCLINT_VERSION=$version
}

free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  fail "no free port found"
}

# ip_in_cidr 172.30.16.10 172.30.16.0/24
ip_to_int() { local IFS=.; read -r a b c d <<<"$1"; echo $(((a << 24) | (b << 16) | (c << 8) | d)); }
ip_in_cidr() {
  local ip net bits mask
  ip=$(ip_to_int "$1"); net=$(ip_to_int "${2%/*}"); bits=${2#*/}
  mask=$(((0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF))
  [ $((ip & mask)) -eq $((net & mask)) ]
}

ensure_packages
ensure_dclint

# --- 1. dclint ------------------------------------------------------------------------------
step "dclint $DCLINT_VERSION (Compose Specification schema and rules), no warnings allowed"
"$DCLINT" --max-warnings 0 "$COMPOSE" || fail "dclint found problems in compose.yaml"
echo "ok"

# --- 2. compose config ----------------------------------------------------------------------
step "Required variables: every \${VAR:?} in compose.yaml is in .env.example and back"
# shellcheck disable=SC2016 # literal ${ in the patterns
required=$(grep -o '\${[A-Z0-9_]*:?' "$COMPOSE" | sed -E 's/^\$\{([A-Z0-9_]*):\?$/\1/' | sort -u)
example_vars=$(sed -nE 's/^#? ?([A-Z][A-Z0-9_]*)=.*/\1/p' "$ENV_EXAMPLE" | sort -u)
# shellcheck disable=SC2016
used_vars=$(grep -o '\${[A-Z0-9_]*' "$COMPOSE" | sed 's/^\${//' | sort -u)
[ -n "$required" ] || fail "compose.yaml has no required variables"
for var in $required; do
  grep -qx "$var" <<<"$example_vars" || fail "$var is required by compose.yaml but not in .env.example"
done
for var in $example_vars; do
  grep -qx "$var" <<<"$used_vars" || fail "$var is in .env.example but compose.yaml does not use it"
done
echo "ok: $(echo "$required" | tr '\n' ' ')"

step "Secrets (*PASSWORD, *KEY) are empty in .env.example, so an unedited copy cannot start"
secrets=$(grep -E '^[A-Z0-9_]*(PASSWORD|KEY)=' "$ENV_EXAMPLE" || true)
[ -n "$secrets" ] || fail ".env.example lists no secrets"
while IFS= read -r line; do
  [ -z "${line#*=}" ] || fail ".env.example gives ${line%%=*} a value; leave secrets empty"
done <<<"$secrets"
echo "ok: $(tr -d '=' <<<"$secrets" | tr '\n' ' ')"

# A copy for Compose v1, which knows neither the top-level `name` nor `host_ip`.
v1_copy="$TMP/compose.v1.yaml"
sed -e '/^name:/d' -e '/^ *host_ip:/d' "$COMPOSE" >"$v1_copy"
filled_env="$TMP/filled.env"
sed -E 's/^([A-Z][A-Z0-9_]*)=$/\1=validate-placeholder/' "$ENV_EXAMPLE" >"$filled_env"
# Variables from the calling shell would win over the env file; leave them out.
unset_args=()
for var in $example_vars; do unset_args+=(-u "$var"); done

step "docker-compose $(docker-compose version --short 2>/dev/null) config, .env.example as it is: must refuse"
set +e
refused=$(env "${unset_args[@]}" docker-compose -f "$v1_copy" --project-directory "$DEPLOY" --env-file "$ENV_EXAMPLE" config -q 2>&1)
code=$?
set -e
[ "$code" -ne 0 ] || fail "compose accepted .env.example with empty secrets"
grep -q 'in deploy/.env' <<<"$refused" || fail "compose refused for another reason: $refused"
echo "ok: $(grep -o 'set [A-Z_]* in deploy/.env' <<<"$refused" | head -n 1)"

step "docker-compose config, secrets filled in: must accept"
resolved="$TMP/resolved.yaml"
env "${unset_args[@]}" docker-compose -f "$v1_copy" --project-directory "$DEPLOY" --env-file "$filled_env" config >"$resolved" \
  || fail "docker-compose config rejected compose.yaml"
echo "ok"

if docker compose version >/dev/null 2>&1; then
  step "$(docker compose version) config"
  env "${unset_args[@]}" docker compose -f "$COMPOSE" --env-file "$filled_env" config -q \
    || fail "docker compose config rejected compose.yaml"
  echo "ok"
else
  echo "(docker compose v2 is not installed here: skipped)"
fi

# --- 3. addresses ---------------------------------------------------------------------------
step "Fixed addresses agree (compose networks, KnownProxies, nginx upstreams)"
# From the resolved file: "<service> <key> <value>" for ipv4_address and KnownProxies__0.
facts=$(awk '
  /^services:/ { in_services = 1; next }
  /^[a-z]/ { in_services = 0 }
  in_services && /^  [a-z0-9-]+:$/ { service = $1; sub(":", "", service) }
  in_services && /ipv4_address:/ { print service, "ip", $2 }
  in_services && /OpsConsole__Https__KnownProxies__0:/ { print service, "proxy", $2 }
' "$resolved")
fact() { awk -v s="$1" -v k="$2" '$1 == s && $2 == k { print $3 }' <<<"$facts"; }
subnet=$(sed -nE 's/^ *- subnet: *([0-9./]+).*/\1/p' "$resolved")
proxy_ip=$(fact proxy ip)
if [ -z "$subnet" ] || [ -z "$proxy_ip" ]; then fail "no subnet or proxy address in compose.yaml"; fi
ip_in_cidr "$proxy_ip" "$subnet" || fail "proxy address $proxy_ip is outside $subnet"
for console in console-a console-b; do
  ip=$(fact "$console" ip)
  [ -n "$ip" ] || fail "$console has no fixed address"
  ip_in_cidr "$ip" "$subnet" || fail "$console address $ip is outside $subnet"
  [ "$(fact "$console" proxy)" = "$proxy_ip" ] || fail "$console trusts $(fact "$console" proxy), not the proxy's $proxy_ip"
  upstreams=$(grep -E "^\s*server [0-9.]+:8080 .*# $console\s*$" "$NGINX_CONF" | awk '{ print $2 }' | sort -u)
  [ "$upstreams" = "$ip:8080" ] || fail "nginx.conf sends $console's traffic to '${upstreams//$'\n'/ }', compose gives it $ip"
  echo "ok: $console $ip, trusts proxy $proxy_ip, subnet $subnet"
done
[ "$(grep -cE '^\s*server [0-9.]+:8080 ' "$NGINX_CONF")" = 4 ] || fail "nginx.conf should list each console once per upstream (4 server lines)"

# --- 4. nginx -t ----------------------------------------------------------------------------
step "$(nginx -v 2>&1): nginx -t on nginx.conf"
nginx -t -q -c "$NGINX_CONF" -g "pid $TMP/nginx-t.pid;" || fail "nginx -t rejected nginx.conf"
echo "ok"

# --- 5. routing smoke test ------------------------------------------------------------------
step "Routing smoke test: nginx.conf in front of two stub backends on loopback"
port_a=$(free_port); port_b=$(free_port); port_p=$(free_port)
while [ "$port_b" = "$port_a" ]; do port_b=$(free_port); done
while [ "$port_p" = "$port_a" ] || [ "$port_p" = "$port_b" ]; do port_p=$(free_port); done

start_backend() { # name port
  cat >"$TMP/backend-$1.conf" <<EOF
worker_processes 1;
error_log $TMP/backend-$1.err warn;
pid $TMP/backend-$1.pid;
events { worker_connections 64; }
http {
    access_log off;
    server {
        listen 127.0.0.1:$2;
        location / {
            default_type text/plain;
            return 200 "backend=$1|upgrade=\$http_upgrade|connection=\$http_connection|xff=\$http_x_forwarded_for|proto=\$http_x_forwarded_proto|host=\$http_host\n";
        }
    }
}
EOF
  nginx -c "$TMP/backend-$1.conf" -p "$TMP" || fail "stub backend $1 did not start"
}
start_backend a "$port_a"
start_backend b "$port_b"

ip_a=$(fact console-a ip); ip_b=$(fact console-b ip)
sed -e "s/$ip_a:8080/127.0.0.1:$port_a/" -e "s/$ip_b:8080/127.0.0.1:$port_b/" \
    -e "s/listen 8080;/listen 127.0.0.1:$port_p;/" \
    -e "s#access_log /dev/stdout#access_log $TMP/proxy.access.log#" \
    -e "s#error_log stderr#error_log $TMP/proxy.err#" "$NGINX_CONF" >"$TMP/proxy.conf"
grep -q "listen 127.0.0.1:$port_p;" "$TMP/proxy.conf" || fail "could not retarget nginx.conf's listen port"
nginx -c "$TMP/proxy.conf" -p "$TMP" -g "pid $TMP/proxy.pid;" || fail "nginx did not start with nginx.conf"
for _ in $(seq 1 50); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port_p/_proxy/health" 2>/dev/null && break
  sleep 0.1
done

BASE="http://127.0.0.1:$port_p"
# get PATH [curl args...]: prints the response headers and body
get() { local path=$1; shift; curl -sS -D - "$@" "$BASE$path"; }
backend_of() { sed -nE 's/^backend=([ab])\|.*/\1/p' <<<"$1"; }
route_of() { tr -d '\r' <<<"$1" | sed -nE 's/^[Ss]et-[Cc]ookie: opsconsole_route=([0-9a-f]{32});.*/\1/p'; }
field_of() { tr '|' '\n' <<<"$1" | sed -n "s/^$2=//p" | tr -d '\r'; }

out=$(get /_proxy/health)
grep -q '^ok' <<<"$out" || fail "/_proxy/health did not answer ok"

out=$(get /)
route=$(route_of "$out"); home=$(backend_of "$out")
[ -n "$route" ] || fail "a first page request got no opsconsole_route cookie"
[ -n "$home" ] || fail "a first page request reached no backend"
for path in / /Account/Login /reviews /_blazor/negotiate?negotiateVersion=1 /_blazor?id=x /hubs/ops/negotiate /hubs/config; do
  for _ in 1 2 3; do
    out=$(get "$path" -b "opsconsole_route=$route")
    [ "$(backend_of "$out")" = "$home" ] || fail "$path with the route cookie went to $(backend_of "$out"), not $home"
    [ -z "$(route_of "$out")" ] || fail "$path with a valid route cookie got a new one"
  done
done
echo "ok: a new visitor's cookie keeps pages, /_blazor and /hubs/ on backend $home"

seen=""
for _ in $(seq 1 40); do
  out=$(get /)
  b=$(backend_of "$out"); r=$(route_of "$out")
  out2=$(get /_blazor/negotiate -b "opsconsole_route=$r")
  [ "$(backend_of "$out2")" = "$b" ] || fail "a visitor's circuit went to a different backend than its first page"
  seen="$seen$b"
done
[[ "$seen" == *a* && "$seen" == *b* ]] || fail "40 new visitors all went to one backend ($seen)"
echo "ok: 40 new visitors spread over both backends (a: $(tr -cd a <<<"$seen" | wc -c), b: $(tr -cd b <<<"$seen" | wc -c)), each circuit beside its first page"

out=$(get / -b "opsconsole_route=../../not-a-route")
[ -n "$(route_of "$out")" ] || fail "a malformed route cookie was not replaced"
echo "ok: a malformed route cookie is replaced"

first=""
for _ in $(seq 1 10); do
  out=$(get /hubs/config/negotiate?negotiateVersion=1 -X POST)
  [ -z "$(route_of "$out")" ] || fail "/hubs/ set a route cookie"
  b=$(backend_of "$out"); first=${first:-$b}
  [ "$b" = "$first" ] || fail "cookie-less /hubs/ requests from one address went to both backends"
done
echo "ok: cookie-less hub clients (negotiate, then connect) stick by address, no cookie set"

seen=""
for _ in $(seq 1 20); do
  out=$(get /api/v1/events -X POST -H 'Content-Type: application/json' --data '[]')
  [ -z "$(route_of "$out")" ] || fail "/api/ set a route cookie"
  seen="$seen$(backend_of "$out")"
done
[[ "$seen" == *a* && "$seen" == *b* ]] || fail "/api/ requests all went to one backend ($seen)"
echo "ok: /api/ spreads over both backends ($seen), no cookie set"

out=$(get /_blazor -b "opsconsole_route=$route" -H 'Upgrade: websocket' -H 'Connection: Upgrade')
if [ "$(field_of "$out" upgrade)" != websocket ] || [ "$(field_of "$out" connection)" != upgrade ]; then
  fail "the WebSocket upgrade was not passed on: $(tail -n 1 <<<"$out")"
fi
out=$(get / -b "opsconsole_route=$route")
[ -z "$(field_of "$out" connection)" ] || fail "a plain request sent Connection: $(field_of "$out" connection) upstream (keepalive needs it empty)"
echo "ok: Upgrade/Connection passed on for WebSockets, empty otherwise"

out=$(get / -b "opsconsole_route=$route" -H 'X-Forwarded-For: 203.0.113.9' -H 'X-Forwarded-Proto: https')
[ "$(field_of "$out" xff)" = "203.0.113.9, 127.0.0.1" ] || fail "X-Forwarded-For upstream was '$(field_of "$out" xff)'"
[ "$(field_of "$out" proto)" = http ] || fail "X-Forwarded-Proto upstream was '$(field_of "$out" proto)', not this proxy's scheme"
[ "$(field_of "$out" host)" = "127.0.0.1:$port_p" ] || fail "Host upstream was '$(field_of "$out" host)'"
echo "ok: X-Forwarded-For ends with the address nginx saw, X-Forwarded-Proto is nginx's own scheme, Host kept"

kill "$(cat "$TMP/backend-$home.pid")"
rm -f "$TMP/backend-$home.pid"
sleep 0.3
other=$([ "$home" = a ] && echo b || echo a)
for _ in 1 2 3; do
  out=$(get / -b "opsconsole_route=$route")
  [ "$(backend_of "$out")" = "$other" ] || fail "with backend $home down, its visitor got: $(head -n 1 <<<"$out")"
done
echo "ok: with backend $home stopped, its visitors move to $other"

printf '\nAll deployment checks passed (dclint %s, docker-compose %s, %s).\n' \
  "$DCLINT_VERSION" "$(docker-compose version --short)" "$(nginx -v 2>&1 | sed 's/.*: //')"
