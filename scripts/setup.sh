#!/usr/bin/env bash
# Installs the system packages pertitle needs on Debian 12 (bookworm), if any are missing:
# FFmpeg 5.1's libraries and CLI, clang and pkg-config for the bindings, and meson, ninja,
# nasm and xxd to build the vendored libvmaf, and the DejaVu font for `report --png`.
# Safe to run again: it does nothing when everything is present.
set -euo pipefail

PACKAGES=(
  ffmpeg libavcodec-dev libavformat-dev libavfilter-dev libavdevice-dev libavutil-dev
  libswscale-dev libswresample-dev libclang-dev clang pkg-config
  meson ninja-build nasm xxd fonts-dejavu-core
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

echo "setup: installing ${missing[*]}" >&2
install() {
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y \
    --no-install-recommends "${missing[@]}"
}
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
if ! install; then
  echo "setup: apt install failed once; repairing and retrying" >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 -y --fix-broken install || true
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  install
fi
