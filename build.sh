#!/usr/bin/env bash
# ./build.sh test  — installs what is missing, builds, runs every test project, prints "N passed, N failed".
# ./build.sh run   — runs the console (same as: dotnet run --project src/OpsConsole.Web).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
CONFIGURATION=${CONFIGURATION:-Release}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

step() { printf '\n==> %s\n' "$*"; }

ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then return; fi
  if [ "$(id -u)" = "0" ]; then
    step "Installing Debian chromium (for the Playwright e2e tests)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Chromium is missing: run 'sudo apt-get install -y chromium' once, then retry." >&2
    exit 1
  fi
}

run_tests() {
  ensure_chromium
  step "Restoring dotnet tools and npm packages"
  dotnet tool restore >/dev/null
  (cd wwwroot-assets && npm ci --no-audit --no-fund --loglevel=error)

  step "Linting the Dockerfile (no Docker engine here)"
  (cd wwwroot-assets && npx --no-install dockerfilelint ../Dockerfile)

  step "Validating deploy/ (compose file with dclint and docker-compose config, nginx -t, a routing test)"
  local deploy_failed=0
  if ! deploy/validate.sh; then
    echo "deploy/validate.sh failed (counted as one failed test)." >&2
    deploy_failed=1
  fi

  step "Building ($CONFIGURATION)"
  # Warnings are errors through Directory.Build.props, which also lists the exceptions (NU1603);
  # -warnaserror on the command line would override that list.
  dotnet build OpsConsole.sln -c "$CONFIGURATION" --nologo -v quiet

  step "Checking formatting (dotnet format --verify-no-changes; fix with: dotnet format OpsConsole.sln)"
  local format_failed=0
  if ! dotnet format OpsConsole.sln --verify-no-changes --no-restore; then
    echo "Formatting differs from .editorconfig (counted as one failed test)." >&2
    format_failed=1
  fi

  step "Starting throw-away PostgreSQL and Redis servers (127.0.0.1, free ports)"
  SERVERS_DIR=$(.ci/test-servers.sh start)
  trap '.ci/test-servers.sh stop "$SERVERS_DIR" || true' EXIT
  # shellcheck disable=SC1091
  . "$SERVERS_DIR/env"
  export OPSCONSOLE_TEST_POSTGRES OPSCONSOLE_TEST_REDIS

  local results="$ROOT/artifacts/test-results"
  rm -rf "$results"
  mkdir -p "$results"
  local passed=0 failed=$((format_failed + deploy_failed)) skipped=0 status=$((format_failed | deploy_failed))
  # name|project|provider|filter: the unit and integration tests on SQLite, the integration tests
  # again on PostgreSQL (same classes, a fresh database per app), then the browser tests.
  local runs=(
    "OpsConsole.Tests (SQLite)|tests/OpsConsole.Tests|Sqlite|Provider!=PostgresOnly"
    "OpsConsole.Tests (PostgreSQL)|tests/OpsConsole.Tests|Postgres|Category=Integration&Provider!=SqliteOnly"
    "OpsConsole.E2E|e2e/OpsConsole.E2E|Sqlite|"
  )
  for run in "${runs[@]}"; do
    local name project provider filter
    IFS='|' read -r name project provider filter <<<"$run"
    step "Testing $name"
    local log="$results/${name//[^A-Za-z0-9.]/_}.log"
    local args=(test "$project" -c "$CONFIGURATION" --no-build --nologo)
    if [ -n "$filter" ]; then args+=(--filter "$filter"); fi
    set +e
    OPSCONSOLE_TEST_PROVIDER=$provider dotnet "${args[@]}" 2>&1 | tee "$log"
    local code=${PIPESTATUS[0]}
    set -e
    # vstest's closing line: "Passed!  - Failed: 0, Passed: 212, Skipped: 0, Total: 212, ..."
    local line
    line=$(grep -E '^(Passed|Failed)!' "$log" | tail -n 1 || true)
    if [ -z "$line" ]; then
      echo "$name produced no test summary (it did not run)" >&2
      failed=$((failed + 1))
      status=1
      continue
    fi
    local p f s
    p=$(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<<"$line")
    f=$(sed -E 's/.*Failed: *([0-9]+).*/\1/' <<<"$line")
    s=$(sed -E 's/.*Skipped: *([0-9]+).*/\1/' <<<"$line")
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    if [ "$code" -ne 0 ] || [ "$p" -eq 0 ]; then status=1; fi
  done

  echo
  if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
  else
    echo "$passed passed, $failed failed"
  fi
  return $status
}

case "${1:-test}" in
  test) run_tests ;;
  run) exec dotnet run --project src/OpsConsole.Web ;;
  *) echo "usage: ./build.sh [test|run]" >&2; exit 2 ;;
esac
