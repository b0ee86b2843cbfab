#!/usr/bin/env bash
# GateScan set-up: installs what the project needs (system packages, a virtual
# environment with the app and its tools), then runs the demo or the tests.
#
#   packaging/setup.sh demo      install everything, then run the demo
#   packaging/setup.sh test      install everything, then run the whole test suite
#   packaging/setup.sh install   install everything only
#
# Idempotent: system packages are installed only when missing, the virtual
# environment is created once and updated only when pyproject.toml changes.
# Works on Debian 12, Ubuntu 22.04+, and Raspberry Pi OS (Bookworm).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${GATESCAN_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"

# libzbar0: pyzbar's native decoder. libgl1 ... libxcb-*: Qt 6 (PySide6) runtime,
# offscreen and on X. xvfb: a virtual screen for UI screenshots. postgresql:
# the server's optional database (tests run against it when present).
# fonts-noto-cjk: the Simplified Chinese interface. alsa-utils: verdict sounds (aplay).
# chromium, chromium-driver, nodejs: the wallet page's real-browser and JS tests.
APT_PACKAGES=(
    python3 python3-venv python3-dev gcc
    libzbar0
    libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libglib2.0-0
    libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-randr0
    libxcb-render-util0 libxcb-xinerama0 libxcb-image0 libxcb-xkb1
    xvfb xauth fonts-noto-cjk alsa-utils
    x11-utils  # xwininfo: the kiosk test reads the window's geometry on a bare X server
    postgresql
    chromium chromium-driver nodejs
)

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

install_system_packages() {
    if ! command -v dpkg-query >/dev/null; then
        log "not a Debian-like system: install these yourself: ${APT_PACKAGES[*]}"
        return
    fi
    local missing=()
    for pkg in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    if ((${#missing[@]} == 0)); then
        log "system packages: all present"
        return
    fi
    log "system packages: installing ${missing[*]}"
    local sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_python_env() {
    if [[ ! -x "$VENV/bin/python" ]]; then
        log "creating virtual environment in $VENV"
        "$PYTHON" -m venv "$VENV"
        "$VENV/bin/python" -m pip install -q --upgrade pip
    fi
    local stamp="$VENV/.gatescan-installed"
    local want
    want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
        && "$VENV/bin/python" -c "import scanner, server_stub" 2>/dev/null; then
        log "python packages: up to date"
        return
    fi
    log "python packages: installing GateScan and its dependencies"
    "$VENV/bin/python" -m pip install -q -e ".[dev]"
    echo "$want" >"$stamp"
}

run_tests() {
    export PATH="$VENV/bin:$PATH"
    log "lint: ruff"
    ruff check scanner server_stub tests bench
    log "architecture: import-linter contracts"
    lint-imports
    log "types: mypy"
    mypy
    if [[ -x packaging/postgres.sh && -z "${GATESCAN_TEST_PG_URL:-}" ]]; then
        log "postgresql: starting a throw-away server for the tests"
        eval "$(packaging/postgres.sh start)"
        trap 'packaging/postgres.sh stop >/dev/null 2>&1 || true' EXIT
    fi
    log "tests: pytest"
    pytest "$@"
}

main() {
    local what="${1:-install}"
    shift || true
    case "$what" in
        install) install_system_packages; install_python_env ;;
        demo) install_system_packages; install_python_env; exec "$VENV/bin/python" packaging/demo.py "$@" ;;
        test) install_system_packages; install_python_env; run_tests "$@" ;;
        *) echo "usage: packaging/setup.sh [install|demo|test]" >&2; exit 2 ;;
    esac
}

main "$@"
