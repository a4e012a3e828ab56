#!/usr/bin/env bash
# Creates .venv and installs the dashboard's dependencies (WebRTC's too: requirements-webrtc.txt,
# optional for the app but installed here, for running and for the tests); with --test, also
# the test dependencies and Debian's chromium (for the browser tests), nginx (for the tests of
# deploy/nginx.conf), and podman, runc and debootstrap (to build and run docker/Dockerfile);
# those need root or sudo.
set -euo pipefail
cd "$(dirname "$0")"

debian=(chromium fonts-dejavu-core nginx podman runc debootstrap)
if [ "${1:-}" = "--test" ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/sbin/nginx ] ||
    [ ! -x /usr/bin/podman ] || [ ! -x /usr/sbin/runc ] || [ ! -x /usr/sbin/debootstrap ]; }; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${debian[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
pip=(.venv/bin/python -m pip install -q --disable-pip-version-check)
"${pip[@]}" -r requirements.txt
"${pip[@]}" --no-deps -r requirements-mediapipe.txt
"${pip[@]}" -r requirements-webrtc.txt
if [ "${1:-}" = "--test" ]; then
    "${pip[@]}" -r requirements-test.txt
fi
