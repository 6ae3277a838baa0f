#!/usr/bin/env bash
# The two commands of the README:
#   ./dev.sh serve [--host 0.0.0.0] [--port 8000]   install (once) and start the playground
#   ./dev.sh test  [pytest args]                     install (once) and run every test
set -euo pipefail
cd "$(dirname "$0")"
PY="${PYTHON:-python3.11}"

# TensorFlow's wheels (and so the pinned versions in pyproject.toml) need Python 3.11 exactly.
need_python311() {
  if [ -x .venv/bin/python ]; then return; fi  # made once already, with its own Python
  if ! command -v "$PY" >/dev/null; then
    if [ -z "${PYTHON:-}" ] && command -v python3 >/dev/null && \
        [ "$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')" = 3.11 ]; then
      PY=python3; return
    fi
    echo "dev.sh: Python 3.11 is needed (TensorFlow's wheels), but '$PY' was not found." >&2
    echo "        Install it (Debian/Ubuntu: sudo apt install python3.11 python3.11-venv; or pyenv install 3.11)," >&2
    echo "        or name one with PYTHON=/path/to/python3.11 ./dev.sh ${1:-serve}" >&2
    echo "dev.sh：需要 Python 3.11（TensorFlow 只支援這一版），找不到 '$PY'。請先安裝，或用 PYTHON=… 指定。" >&2
    exit 1
  fi
  local version
  version="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  if [ "$version" != 3.11 ]; then
    echo "dev.sh: '$PY' is Python $version; Python 3.11 is needed (TensorFlow's wheels)." >&2
    echo "dev.sh：'$PY' 是 Python $version，需要 Python 3.11。" >&2
    exit 1
  fi
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# One install stamp for serve and test: the pyproject.toml it installed, and the extras with it
# (a test install has everything serve needs, so `serve` after `test` installs nothing).
venv() {
  need_python311 "${1:-serve}"
  if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv || { as_root apt-get update && as_root apt-get install -y python3-venv && "$PY" -m venv .venv; }
  fi
  local target="."; [ -n "${1:-}" ] && target=".[$1]"
  local stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
  if [ ! -f "$stamp" ] || { [ -n "${1:-}" ] && ! grep -qx "$1" "$stamp"; }; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e "$target"
    rm -f .venv/.installed-*
    echo "${1:-app}" > "$stamp"
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
    shift; need_python311 test; browser_deps; venv test
    export PLAYGROUND_TEST_ASSETS="${PLAYGROUND_TEST_ASSETS:-$(cd .. && pwd)/shared}"
    .venv/bin/lint-imports  # imports point down (pyproject.toml [tool.importlinter], docs/architecture.md)
    exec .venv/bin/python -m pytest "$@" ;;
  *)
    echo "usage: ./dev.sh serve [--host 0.0.0.0] [--port 8000] | ./dev.sh test [pytest args]" >&2; exit 2 ;;
esac
