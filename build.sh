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

  step "Building ($CONFIGURATION)"
  # Warnings are errors through Directory.Build.props, which also lists the exceptions (NU1603);
  # -warnaserror on the command line would override that list.
  dotnet build OpsConsole.sln -c "$CONFIGURATION" --nologo -v quiet

  local results="$ROOT/artifacts/test-results"
  rm -rf "$results"
  mkdir -p "$results"
  local passed=0 failed=0 skipped=0 status=0
  for project in tests/OpsConsole.Tests e2e/OpsConsole.E2E; do
    local name
    name=$(basename "$project")
    step "Testing $name"
    local log="$results/$name.log"
    set +e
    dotnet test "$project" -c "$CONFIGURATION" --no-build --nologo 2>&1 | tee "$log"
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
