#!/usr/bin/env bash
# Reference blobs for `senet parity` on a machine without pycaffe (Debian/Ubuntu amd64, root for the setup).
#
#   tools/caffe-reference.sh NET.prototxt W.caffemodel INPUT.npy OUT_DIR
#
# Needs a CPU BVLC Caffe under $CAFFE_PREFIX (default /opt/caffe-bullseye) laid out as Debian
# bullseye's caffe/libcaffe1/libcaffe-dev packages unpacked there (usr/include, usr/lib/x86_64-linux-gnu)
# with an env.sh setting LD_LIBRARY_PATH; set CAFFE_SETUP to a script that makes one (it is run once
# when the prefix is missing). Builds tools/caffe-dump.cpp against it (cached beside the prefix) and runs it:
# every blob of one TEST forward pass as OUT_DIR/<blob>.npy, '/' written as '__'.
# A net with the SENet release's Axpy layer gets our own Axpy plugin (tools/caffe-axpy.cpp, built
# the same way and loaded with LD_PRELOAD), so stock Caffe runs the official SENet prototxts.
# Other custom layers must be registered in that libcaffe, or preloaded with CAFFE_PRELOAD=/path/to/plugin.so
# (which replaces our Axpy plugin).
set -euo pipefail
[ $# -eq 4 ] || { sed -n '2,4p' "$0" >&2; exit 2; }
PREFIX=${CAFFE_PREFIX:-/opt/caffe-bullseye}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ ! -f "$PREFIX/env.sh" ]; then
  [ -n "${CAFFE_SETUP:-}" ] || { echo "no Caffe at $PREFIX; set CAFFE_SETUP to an installer (see docs/parity.md)" >&2; exit 1; }
  CAFFE_PREFIX="$PREFIX" "$CAFFE_SETUP"
fi
# shellcheck disable=SC1091
. "$PREFIX/env.sh"
CXXFLAGS=(-O2 -std=c++17 -DCPU_ONLY -Wno-deprecated-declarations -I"$PREFIX/usr/include" -I/usr/include/x86_64-linux-gnu/openblas-pthread)
LIBS=(-L"$PREFIX/usr/lib/x86_64-linux-gnu" -lcaffe -lglog -lprotobuf -ldl -lpthread -Wl,--disable-new-dtags -Wl,-rpath,"$LD_LIBRARY_PATH" -Wl,-rpath-link,"$LD_LIBRARY_PATH")
# build SRC OUT [g++ flags]: compile when OUT is missing or older than SRC; into a temporary file
# renamed at the end, so two runs at once never load a half-written binary.
build() {
  local src=$1 out=$2
  shift 2
  if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
    mkdir -p "$(dirname "$out")"
    g++ "${CXXFLAGS[@]}" "$@" "$src" -o "$out.$$" "${LIBS[@]}"
    mv -f "$out.$$" "$out"
  fi
}
BIN="$PREFIX/bin/senet-caffe-dump"
build "$HERE/caffe-dump.cpp" "$BIN"
PRELOAD=${CAFFE_PRELOAD:-}
if [ -z "$PRELOAD" ] && grep -Eq '^[[:space:]]*type:[[:space:]]*"Axpy"' "$1"; then
  PRELOAD="$PREFIX/lib/senet-caffe-axpy.so"
  build "$HERE/caffe-axpy.cpp" "$PRELOAD" -shared -fPIC
fi
mkdir -p "$4"
LD_PRELOAD="$PRELOAD" GLOG_minloglevel=2 "$BIN" "$1" "$2" "$3" "$4"
