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
# Custom layers (e.g. the SENet release's Axpy) must be registered in that libcaffe, or preloaded
# with CAFFE_PRELOAD=/path/to/plugin.so.
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
BIN="$PREFIX/bin/senet-caffe-dump"
if [ ! -x "$BIN" ] || [ "$HERE/caffe-dump.cpp" -nt "$BIN" ]; then
  mkdir -p "$PREFIX/bin"
  g++ -O2 -std=c++17 -DCPU_ONLY -Wno-deprecated-declarations -I"$PREFIX/usr/include" -I/usr/include/x86_64-linux-gnu/openblas-pthread \
    "$HERE/caffe-dump.cpp" -o "$BIN" -L"$PREFIX/usr/lib/x86_64-linux-gnu" -lcaffe -lglog -lprotobuf -ldl -lpthread \
    -Wl,--disable-new-dtags -Wl,-rpath,"$LD_LIBRARY_PATH" -Wl,-rpath-link,"$LD_LIBRARY_PATH"
fi
mkdir -p "$4"
LD_PRELOAD="${CAFFE_PRELOAD:-}" GLOG_minloglevel=2 "$BIN" "$1" "$2" "$3" "$4"
