#!/usr/bin/env bash
# GateScan set-up: installs what the project needs (system packages, a virtual
# environment with the app and its tools), then runs the demo or the tests.
#
#   packaging/setup.sh demo      install everything, then run the demo
#   packaging/setup.sh test      install everything, then run the whole test suite (also
#                                on Python 3.13 and, for the gate, on the Pi's PySide6 6.8.0.2),
#                                and check the gate's dependencies have aarch64 wheels
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
# weston: a headless Wayland compositor, to run the kiosk script as it runs on a Pi.
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
    weston
)
# The test run's extra environments: the whole suite on Python 3.13 (Raspberry Pi OS
# Trixie), and the gate's tests on the system Python with the newest PySide6 a Pi on
# Bookworm (glibc 2.36) can install.
VENV_PY313="${GATESCAN_VENV_PY313:-$ROOT/.venv-py313}"
VENV_PI="${GATESCAN_VENV_PI:-$ROOT/.venv-pyside68}"
PI_PYTHON="${PI_PYTHON:-/usr/bin/python3}"
PI_PYSIDE="PySide6-Essentials==6.8.0.2"
GATE_TESTS=(tests/gate tests/protocol tests/demo tests/packaging tests/test_architecture.py)

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

# make_venv DIR PYTHON [EXTRA PIP REQUIREMENTS...]: DIR holds GateScan[dev] (editable) on
# PYTHON, created once and reinstalled only when pyproject.toml or the extras change.
make_venv() {
    local venv="$1" python="$2"
    shift 2
    if [[ ! -x "$venv/bin/python" ]]; then
        log "creating virtual environment in $venv"
        "$python" -m venv "$venv"
        "$venv/bin/python" -m pip install -q --upgrade pip
    fi
    local stamp="$venv/.gatescan-installed"
    local want
    want="$( (cat pyproject.toml; echo "$*") | sha256sum | cut -d' ' -f1)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
        && "$venv/bin/python" -c "import gatescan.gate, gatescan.server" 2>/dev/null; then
        log "python packages in $venv: up to date"
        return
    fi
    log "python packages in $venv: installing GateScan and its dependencies $*"
    "$venv/bin/python" -m pip install -q -e ".[dev]" "$@"
    echo "$want" >"$stamp"
}

install_python_env() { make_venv "$VENV" "$PYTHON"; }

find_python313() {
    local found
    # A pyenv shim named python3.13 may exist without that version being active: try each
    # candidate for real, pyenv's own installs first.
    for found in "${PYTHON313:-}" "$HOME"/.pyenv/versions/3.13*/bin/python3.13 \
        "$(command -v python3.13 || true)"; do
        [[ -n "$found" && -x "$found" ]] || continue
        "$found" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null \
            && { echo "$found"; return; }
    done
    return 1
}

run_tests() {
    export PATH="$VENV/bin:$PATH"
    log "lint: ruff"
    ruff check gatescan tests bench packaging
    log "architecture: import-linter contracts"
    lint-imports
    log "types: mypy"
    mypy
    if [[ -x packaging/postgres.sh && -z "${GATESCAN_TEST_PG_URL:-}" ]]; then
        log "postgresql: starting a throw-away server for the tests"
        eval "$(packaging/postgres.sh start)"
        trap 'packaging/postgres.sh stop >/dev/null 2>&1 || true' EXIT
    fi
    make_venv "$VENV_PI" "$PI_PYTHON" "$PI_PYSIDE"
    # the kiosk test runs the gate as a non-root user from the Pi-like venv (system Python)
    export GATESCAN_KIOSK_VENV="$VENV_PI"
    log "tests: pytest"
    pytest "$@"
    log "tests: the gate's tests with $PI_PYSIDE (Raspberry Pi OS Bookworm) on $PI_PYTHON"
    "$VENV_PI/bin/python" -m pytest -q -p no:cacheprovider "${GATE_TESTS[@]}"
    local py313
    if py313="$(find_python313)"; then
        make_venv "$VENV_PY313" "$py313"
        log "tests: the suite on Python 3.13 (Raspberry Pi OS Trixie)"
        "$VENV_PY313/bin/python" -m pytest -q -p no:cacheprovider
    elif [[ "${GATESCAN_SKIP_PY313:-}" == 1 ]]; then
        log "tests: Python 3.13 skipped (GATESCAN_SKIP_PY313=1)"
    else
        log "no Python 3.13 found: set PYTHON313=/path/to/python3.13 (or GATESCAN_SKIP_PY313=1)"
        return 1
    fi
    log "wheels: every gate dependency has an aarch64 wheel for Raspberry Pi OS"
    python packaging/check_wheels.py --cache "$VENV/wheel-check"
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
