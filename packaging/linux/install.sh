#!/usr/bin/env sh
# Install HK Twin from this unpacked tarball for the current user (no root needed):
#   the app        -> $PREFIX/lib/hktwin/            (PREFIX defaults to ~/.local)
#   the launcher   -> $PREFIX/bin/hktwin
#   menu entry     -> $PREFIX/share/applications/io.github.hktwin.HKTwin.desktop
#   icons          -> $PREFIX/share/icons/hicolor/*/apps/io.github.hktwin.HKTwin.{png,svg}
#   AppStream data -> $PREFIX/share/metainfo/io.github.hktwin.HKTwin.metainfo.xml
# Run ./uninstall.sh (also copied to $PREFIX/lib/hktwin/) to remove exactly these files.
# Usage: ./install.sh [--prefix DIR]
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${PREFIX:-"$HOME/.local"}
if [ "${1:-}" = "--prefix" ]; then PREFIX=$2; fi
APP_ID=io.github.hktwin.HKTwin
LIB="$PREFIX/lib/hktwin"
MANIFEST="$LIB/installed-files.txt"

[ -x "$HERE/hktwin/hktwin" ] || { echo "install.sh: $HERE/hktwin/hktwin is missing; unpack the whole tarball" >&2; exit 1; }
if [ -e "$LIB" ]; then
  echo "Replacing the HK Twin already installed in $LIB"
  rm -rf "$LIB"
fi
mkdir -p "$LIB" "$PREFIX/bin" "$PREFIX/share/applications" "$PREFIX/share/metainfo"
cp -a "$HERE/hktwin" "$LIB/app"
cp "$HERE/uninstall.sh" "$LIB/uninstall.sh"

: > "$MANIFEST.tmp"
cat > "$PREFIX/bin/hktwin" <<LAUNCHER
#!/usr/bin/env sh
# HK Twin launcher (installed by install.sh; remove with $LIB/uninstall.sh)
exec "$LIB/app/hktwin" "\$@"
LAUNCHER
chmod 755 "$PREFIX/bin/hktwin"
echo "$PREFIX/bin/hktwin" >> "$MANIFEST.tmp"

DESKTOP="$PREFIX/share/applications/$APP_ID.desktop"
sed -e "s|^Exec=hktwin|Exec=\"$PREFIX/bin/hktwin\"|" -e "s|^TryExec=hktwin|TryExec=$PREFIX/bin/hktwin|" \
  "$HERE/share/applications/$APP_ID.desktop" > "$DESKTOP"
echo "$DESKTOP" >> "$MANIFEST.tmp"
cp "$HERE/share/metainfo/$APP_ID.metainfo.xml" "$PREFIX/share/metainfo/"
echo "$PREFIX/share/metainfo/$APP_ID.metainfo.xml" >> "$MANIFEST.tmp"
(cd "$HERE/share/icons" && find hicolor -type f) | while read -r icon; do
  mkdir -p "$PREFIX/share/icons/$(dirname "$icon")"
  cp "$HERE/share/icons/$icon" "$PREFIX/share/icons/$icon"
  echo "$PREFIX/share/icons/$icon" >> "$MANIFEST.tmp"
done
mv "$MANIFEST.tmp" "$MANIFEST"

# Refresh the desktop's caches where the tools exist (harmless when they do not).
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$PREFIX/share/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$PREFIX/share/icons/hicolor" || true

echo "HK Twin installed in $LIB; 'HK Twin' is in your applications menu."
case ":$PATH:" in
  *":$PREFIX/bin:"*) echo "Run it with: hktwin   (or hktwin snapshot --out view.png)";;
  *) echo "Run it with: $PREFIX/bin/hktwin   ($PREFIX/bin is not on your PATH)";;
esac
echo "Uninstall with: $LIB/uninstall.sh"
