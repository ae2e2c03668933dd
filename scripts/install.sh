#!/usr/bin/env bash
# Installs the shipped library: PREFIX/lib/libafme.so, PREFIX/include/afme.h, PREFIX/lib/pkgconfig/afme.pc.
# usage: bash scripts/install.sh [PREFIX]   (default /usr/local; builds the library if needed)
# Afterwards: cc app.c $(pkg-config --cflags --libs afme)   (add PREFIX/lib/pkgconfig to PKG_CONFIG_PATH
# for a non-standard prefix, and run ldconfig for a system prefix).
source "$(dirname "$0")/common.sh"
PREFIX="${1:-/usr/local}"
ensure_deps
[ -f .build/release/libafme.so ] && readelf -d .build/release/libafme.so | grep -q 'SONAME.*libafme.so' || build_library
version=$(sed -n 's/^#define AFME_VERSION_STRING "\(.*\)"/\1/p' include/afme.h)
install -d "$PREFIX/lib/pkgconfig" "$PREFIX/include"
install -m 0755 .build/release/libafme.so "$PREFIX/lib/libafme.so"
install -m 0644 include/afme.h "$PREFIX/include/afme.h"
sed -e "s|@PREFIX@|$PREFIX|" -e "s|@VERSION@|$version|" scripts/afme.pc.in > "$PREFIX/lib/pkgconfig/afme.pc"
echo "installed libafme $version into $PREFIX"
