#!/usr/bin/env bash
# The two commands of the README:
#   ./dev.sh serve [--host 0.0.0.0] [--port 8000]   install (once) and start the playground
#   ./dev.sh test  [pytest args]                     install (once) and run every test
set -euo pipefail
cd "$(dirname "$0")"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null || PY=python3

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

venv() {
  if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv || { as_root apt-get update && as_root apt-get install -y python3-venv && "$PY" -m venv .venv; }
  fi
  local target="."; [ -n "${1:-}" ] && target=".[$1]"
  local stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)-${1:-app}
  if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e "$target"
    touch "$stamp"
  fi
}

browser_deps() {
  if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || ! fc-list 2>/dev/null | grep -qi "Noto Color Emoji"; then
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji
  fi
}

case "${1:-}" in
  serve)
    shift; venv
    exec .venv/bin/playground serve "$@" ;;
  test)
    shift; browser_deps; venv test
    export PLAYGROUND_TEST_ASSETS="${PLAYGROUND_TEST_ASSETS:-$(cd .. && pwd)/shared}"
    .venv/bin/lint-imports  # imports point down (pyproject.toml [tool.importlinter], docs/architecture.md)
    exec .venv/bin/python -m pytest "$@" ;;
  *)
    echo "usage: ./dev.sh serve [--host 0.0.0.0] [--port 8000] | ./dev.sh test [pytest args]" >&2; exit 2 ;;
esac
