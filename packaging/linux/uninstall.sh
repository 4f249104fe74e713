#!/usr/bin/env sh
# Remove HK Twin installed by install.sh: the files it listed, then its folder. Your settings
# (~/.config/hktwin) and data (~/.local/share/hktwin) stay unless you pass --purge.
# Usage: uninstall.sh [--prefix DIR] [--purge]
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
case "$HERE" in
  */lib/hktwin) DEFAULT_PREFIX=$(dirname "$(dirname "$HERE")");;  # the installed copy
  *) DEFAULT_PREFIX="$HOME/.local";;
esac
PREFIX=${PREFIX:-"$DEFAULT_PREFIX"}
PURGE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX=$2; shift 2;;
    --purge) PURGE=1; shift;;
    *) echo "uninstall.sh: unknown option $1" >&2; exit 2;;
  esac
done
LIB="$PREFIX/lib/hktwin"
MANIFEST="$LIB/installed-files.txt"
[ -f "$MANIFEST" ] || { echo "uninstall.sh: no HK Twin installation in $LIB" >&2; exit 1; }
while read -r f; do
  rm -f "$f"
done < "$MANIFEST"
rm -rf "$LIB"
# drop icon folders left empty
find "$PREFIX/share/icons/hicolor" -depth -type d -empty -delete 2>/dev/null || true
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$PREFIX/share/applications" || true
if [ "$PURGE" = 1 ]; then
  rm -rf "${XDG_CONFIG_HOME:-$HOME/.config}/hktwin" "${XDG_DATA_HOME:-$HOME/.local/share}/hktwin" \
         "${XDG_CACHE_HOME:-$HOME/.cache}/hktwin"
fi
echo "HK Twin removed from $PREFIX"
