#!/usr/bin/env bash
# Install GateScan as a kiosk on Raspberry Pi OS (Bookworm, 64-bit Lite or Desktop).
#
#   sudo packaging/install-pi.sh [--manifest FILE --expect-key FINGERPRINT] [--pin] [--no-kiosk]
#
# Installs the system packages (cage, camera, fonts, sound), a `gatescan` user,
# the app in /opt/gatescan with its own virtual environment, the data directory
# /var/lib/gatescan, USB-stick mounting, and the systemd unit that boots straight
# into the full-screen scanner. Idempotent: run it again to update the app.
#   --manifest FILE  preload an event manifest (from a USB stick) before doors open
#   --expect-key FP  the manifest signer's key fingerprint the organizer shows
#                    (`gatescan-server manifest` prints it); needed with --manifest
#   --pin            set the manager PIN now (asked on the terminal)
#   --no-kiosk       install everything but do not enable the kiosk at boot
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APP=/opt/gatescan
DATA=/var/lib/gatescan
USER_NAME=gatescan
MANIFEST=""
EXPECT_KEY=""
SET_PIN=0
KIOSK=1

while (($#)); do
    case "$1" in
        --manifest) MANIFEST="$(realpath "$2")"; shift 2 ;;
        --expect-key) EXPECT_KEY="$2"; shift 2 ;;
        --pin) SET_PIN=1; shift ;;
        --no-kiosk) KIOSK=0; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
done

log() { printf '\033[1m[gatescan]\033[0m %s\n' "$*" >&2; }
[[ $(id -u) -eq 0 ]] || { echo "run as root: sudo $0" >&2; exit 1; }

# cage: Wayland kiosk compositor. libzbar0: second decoder. fonts-noto-cjk: Chinese.
# alsa-utils: aplay plays the verdict sounds. libgl1 ... libxkbcommon0: Qt 6 runtime.
# fake-hwclock: keeps the last known time across reboots (a Pi has no RTC).
APT_PACKAGES=(
    python3 python3-venv python3-dev
    cage
    libzbar0 v4l-utils
    fonts-noto-core fonts-noto-cjk
    alsa-utils
    libgl1 libegl1 libgles2 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0
    libwayland-client0 libwayland-cursor0 libwayland-egl1
    fake-hwclock
)

log "system packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}" >/dev/null
# swig, liblgpio-dev (Raspberry Pi OS): build the lgpio binding gpiozero drives a turnstile
# relay through. Optional: without them only the serial: and cmd: relays work.
apt-get install -y -qq --no-install-recommends swig liblgpio-dev >/dev/null \
    || log "swig/liblgpio-dev not available: no gpio: relay on this machine"

log "user $USER_NAME (camera, GPU, input, sound)"
if ! id "$USER_NAME" >/dev/null 2>&1; then
    useradd --system --create-home --home-dir "/home/$USER_NAME" --shell /usr/sbin/nologin \
        "$USER_NAME"
fi
# only the groups this system has (a Debian without udev lacks render and input);
# gpio: the turnstile relay and "passed" sensor; dialout: USB-serial relay boards.
for group in video render input audio gpio dialout; do
    if getent group "$group" >/dev/null; then usermod -a -G "$group" "$USER_NAME"; fi
done

log "app in $APP"
mkdir -p "$APP"
if [[ "$SRC" != "$APP" ]]; then
    # the source tree without local virtual environments, caches or data
    tar -C "$SRC" --exclude='.venv*' --exclude=.git --exclude='__pycache__' \
        --exclude='.pytest_cache' --exclude='.mypy_cache' -cf - . | tar -C "$APP" -xf -
fi
if [[ ! -x "$APP/.venv/bin/python" ]]; then
    # the system's Python (Raspberry Pi OS: 3.11 on Bookworm), never a user's pyenv
    /usr/bin/python3 -m venv "$APP/.venv"
    "$APP/.venv/bin/python" -m pip install -q --upgrade pip
fi
# the gate only: no FastAPI, uvicorn, SQLAlchemy or psycopg on a turnstile
"$APP/.venv/bin/python" -m pip install -q "$APP[gate]"
# gpiozero's pin library on a Pi (any model, Pi 5 included); elsewhere GPIO relays are absent.
"$APP/.venv/bin/python" -m pip install -q lgpio \
    || log "lgpio did not install: a gpio: relay will not work (serial: and cmd: still do)"
chmod 755 "$APP/packaging/gatescan-kiosk"

log "data directory $DATA"
install -d -m 0700 -o "$USER_NAME" -g "$USER_NAME" "$DATA"
install -d -m 0755 /media/gatescan
[[ -f /etc/default/gatescan ]] || cat >/etc/default/gatescan <<'CONF'
# GateScan kiosk settings (read by gatescan-kiosk.service)
# GATESCAN_ARGS="--camera /dev/video0 --lang zh_CN"
GATESCAN_ARGS=""
CONF

as_gate() { runuser -u "$USER_NAME" -- env GATESCAN_DATA="$DATA" "$@"; }

if [[ -n "$MANIFEST" ]]; then
    log "preloading manifest $MANIFEST"
    cp "$MANIFEST" "$DATA/preload.gsm" && chown "$USER_NAME:" "$DATA/preload.gsm"
    as_gate "$APP/.venv/bin/gatescan" --data "$DATA" import-manifest "$DATA/preload.gsm" \
        ${EXPECT_KEY:+--expect-key "$EXPECT_KEY"}
fi
if ((SET_PIN)); then
    as_gate "$APP/.venv/bin/python" -m gatescan.gate.ui --data "$DATA" run --set-pin
fi

log "USB sticks mount at /media/gatescan/usb"
install -D -m 0644 "$APP/packaging/99-gatescan-usb.rules" /etc/udev/rules.d/99-gatescan-usb.rules
# no running udev (an image being prepared, a container): the rules apply at next boot
if command -v udevadm >/dev/null && [[ -d /run/udev ]]; then udevadm control --reload-rules; fi

log "systemd unit"
install -D -m 0644 "$APP/packaging/gatescan-kiosk.service" /etc/systemd/system/gatescan-kiosk.service
# enabling works without a running systemd (it only writes links); reloading needs one
[[ -d /run/systemd/system ]] && systemctl daemon-reload
if ((KIOSK)); then
    systemctl disable --now getty@tty1.service 2>/dev/null || true
    systemctl set-default graphical.target >/dev/null
    systemctl enable gatescan-kiosk.service
    log "done: reboot, or start now with: systemctl start gatescan-kiosk"
else
    log "done: the kiosk is installed but not enabled (systemctl enable gatescan-kiosk)"
fi
