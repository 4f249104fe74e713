#!/usr/bin/env bash
# Set up everything HK Twin needs on a Debian/Ubuntu machine, idempotently:
#   - the system libraries Qt and Mesa need (and Xvfb for headless tests), via apt when run as
#     root and something is missing;
#   - a virtual environment in .venv with HK Twin installed in editable mode plus its dev tools.
# Usage: bash packaging/setup-env.sh        (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  xvfb xauth
  libgl1 libegl1 libgl1-mesa-dri libglx-mesa0 libegl-mesa0
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0
  libxcb-render-util0 libxcb-randr0 libxcb-shape0 libxcb-xkb1 libfontconfig1 libdbus-1-3
  gdal-bin chromium poppler-utils   # viewshed peer benchmark; report PDF and browser test
  fonts-noto-cjk   # demo-mode captions in Traditional Chinese (no tofu boxes)
  binutils appstream desktop-file-utils   # PyInstaller's objdump; metainfo and .desktop checks
)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "Installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "Missing system packages: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c "import venv, ensurepip" >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv
  else
    echo "Python's venv module is missing: sudo apt-get install python3-venv" >&2
    exit 1
  fi
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'
# The example plugins, each its own package found through its `hktwin.plugins` entry point.
plugin_args=()
for plugin in plugins/*/; do [ -f "$plugin/pyproject.toml" ] && plugin_args+=(-e "$plugin"); done
if [ ${#plugin_args[@]} -gt 0 ]; then .venv/bin/python -m pip install -q "${plugin_args[@]}"; fi
echo "HK Twin environment ready in .venv"
