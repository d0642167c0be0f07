#!/usr/bin/env bash
# Debian packages the make targets need, installed when missing (as root, or with sudo when it
# works without a password); otherwise stop at once with the exact command to run.
# Usage: scripts/system_packages.sh run|test|ci
set -euo pipefail

case "${1:-test}" in
    run) packages=(gettext) ;;
    test) packages=(chromium fonts-wqy-microhei libharfbuzz-subset0 gettext) ;;
    ci) packages=(chromium fonts-wqy-microhei libharfbuzz-subset0 gettext postgresql-client) ;;
    *) echo "usage: $0 run|test|ci" >&2; exit 2 ;;
esac

for tool in python3 node npm; do
    if ! command -v "$tool" >/dev/null; then
        echo "$tool is missing. Install it first:  sudo apt-get install -y python3 python3-venv nodejs npm" >&2
        exit 1
    fi
done

missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$pkg")
    fi
done
((${#missing[@]})) || exit 0

if ! command -v apt-get >/dev/null; then
    echo "Missing system packages: ${missing[*]} (not a Debian/Ubuntu system: install them by hand)." >&2
    exit 1
fi
command=(apt-get install -y -q "${missing[@]}")
if [[ $(id -u) -eq 0 ]]; then
    sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo=(sudo)
else
    echo "Missing system packages: ${missing[*]}. Run, then retry:" >&2
    echo "    sudo apt-get update && sudo ${command[*]}" >&2
    exit 1
fi
echo "installing system packages: ${missing[*]}"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive "${command[@]}"
