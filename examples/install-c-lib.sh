#!/usr/bin/env bash
# Builds libpalisade in release mode and installs the library, the header
# and a pkg-config file under PREFIX (default /usr/local).
#
#   examples/install-c-lib.sh [PREFIX]
#
# PALISADE_PROFILE picks the cargo profile (default release).
#   cc app.c $(pkg-config --cflags --libs palisade)             # shared
#   cc app.c $(pkg-config --cflags --libs --static palisade)    # static
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prefix=${1:-/usr/local}
cargo=${CARGO:-cargo}
profile=${PALISADE_PROFILE:-release}
"$cargo" build --manifest-path "$root/Cargo.toml" -p palisade-ffi --profile "$profile"
target=$("$cargo" metadata --manifest-path "$root/Cargo.toml" --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
version=$(sed -n 's/^#define PALISADE_VERSION_STRING "\(.*\)"$/\1/p' "$root/include/palisade.h")
case "$profile" in dev | test) out="$target/debug" ;; *) out="$target/$profile" ;; esac
case "$(uname -s)" in Darwin) shared=libpalisade.dylib ;; *) shared=libpalisade.so ;; esac
install -d "$prefix/lib" "$prefix/include" "$prefix/lib/pkgconfig"
install -m 0644 "$root/include/palisade.h" "$prefix/include/"
install -m 0755 "$out/$shared" "$prefix/lib/"
install -m 0644 "$out/libpalisade.a" "$prefix/lib/"
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" "$root/crates/palisade-ffi/palisade.pc.in" \
    >"$prefix/lib/pkgconfig/palisade.pc"
echo "installed libpalisade $version under $prefix"
