#!/usr/bin/env bash
# Build the HK Twin one-folder bundle (PyInstaller) and its Linux tarball.
#   dist/bundle/hktwin/                       the bundle (run dist/bundle/hktwin/hktwin)
#   dist/hktwin-VERSION-linux-ARCH/           the tarball's tree: bundle, menu entry, icons,
#                                             AppStream metainfo, install.sh, uninstall.sh
#   dist/hktwin-VERSION-linux-ARCH.tar.gz     that tree packed (skipped with --no-tarball)
# Usage: bash packaging/build_bundle.sh [--no-tarball]   (from anywhere; uses .venv)
# Env: PYTHON (default .venv/bin/python), HKTWIN_BUNDLE_WORK (PyInstaller's cache, kept between
# builds to make the next one faster; default build/bundle).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PYTHON=${PYTHON:-"$ROOT/.venv/bin/python"}
WORK=${HKTWIN_BUNDLE_WORK:-"$ROOT/build/bundle"}
TARBALL=1
[ "${1:-}" = "--no-tarball" ] && TARBALL=0
APP_ID=io.github.hktwin.HKTwin
VERSION=$("$PYTHON" -c "import tomllib; print(tomllib.load(open('pyproject.toml','rb'))['project']['version'])")
NAME="hktwin-$VERSION-linux-$(uname -m)"

start=$(date +%s)
echo "== PyInstaller ($("$PYTHON" -m PyInstaller --version))"
"$PYTHON" -m PyInstaller --noconfirm --log-level WARN --distpath "$ROOT/dist/bundle" \
  --workpath "$WORK" packaging/hktwin.spec
BUNDLE="$ROOT/dist/bundle/hktwin"

echo "== checking the bundle"
fail=0
for need in \
  _internal/hktwin/resources/demo_city/manifest.json \
  _internal/hk_twin-"$VERSION".dist-info/entry_points.txt \
  _internal/vispy/glsl \
  _internal/vispy/io/_data \
  _internal/PySide6/Qt/plugins/platforms/libqxcb.so \
  _internal/PySide6/Qt/plugins/platforms/libqoffscreen.so \
  _internal/PySide6/Qt/plugins/platforms/libqwayland.so \
  _internal/PySide6/Qt/plugins/xcbglintegrations/libqxcb-glx-integration.so \
  _internal/PySide6/Qt/plugins/xcbglintegrations/libqxcb-egl-integration.so; do
  if [ ! -e "$BUNDLE/$need" ]; then echo "missing from the bundle: $need" >&2; fail=1; fi
done
[ $fail = 0 ] || exit 1
"$BUNDLE/hktwin" --version

echo "== tarball tree dist/$NAME"
STAGE="$ROOT/dist/$NAME"
rm -rf "$STAGE"
mkdir -p "$STAGE/share/applications" "$STAGE/share/metainfo" "$STAGE/share/icons"
cp -a "$BUNDLE" "$STAGE/hktwin"
cp packaging/linux/$APP_ID.desktop "$STAGE/share/applications/"
cp packaging/linux/$APP_ID.metainfo.xml "$STAGE/share/metainfo/"
"$PYTHON" packaging/make_icons.py "$STAGE/share/icons" > /dev/null
cp packaging/icons/hktwin.svg "$STAGE/hktwin/_internal/hktwin/icon.svg"
cp packaging/linux/install.sh packaging/linux/uninstall.sh LICENSE "$STAGE/"
cat > "$STAGE/README.txt" <<TXT
HK Twin $VERSION for Linux ($(uname -m)).

  ./install.sh          install for this user into ~/.local (menu entry, icons, 'hktwin' launcher)
  ./hktwin/hktwin       or run it from here without installing
  hktwin snapshot --out view.png      render the demo city with no screen

Remove with ~/.local/lib/hktwin/uninstall.sh
TXT
if command -v desktop-file-validate >/dev/null 2>&1; then
  desktop-file-validate "$STAGE/share/applications/$APP_ID.desktop"
else
  echo "desktop-file-validate not found: .desktop entry not validated"
fi
if command -v appstreamcli >/dev/null 2>&1; then
  appstreamcli validate --no-net "$STAGE/share/metainfo/$APP_ID.metainfo.xml"
else
  echo "appstreamcli not found: metainfo not validated"
fi

if [ $TARBALL = 1 ]; then
  echo "== packing dist/$NAME.tar.gz"
  tar -C "$ROOT/dist" -cf - "$NAME" | gzip -1 > "$ROOT/dist/$NAME.tar.gz.tmp"
  mv "$ROOT/dist/$NAME.tar.gz.tmp" "$ROOT/dist/$NAME.tar.gz"
  echo "tarball: $(du -m "$ROOT/dist/$NAME.tar.gz" | cut -f1) MB"
fi
echo "bundle: $(du -sm "$BUNDLE" | cut -f1) MB in $BUNDLE; built in $(( $(date +%s) - start )) s"
