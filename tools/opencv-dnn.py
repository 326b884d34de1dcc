#!/usr/bin/python3
"""OpenCV dnn (Debian's python3-opencv) on a senet-caffe model, for tests and benchmarks.

  opencv-dnn.py --onnx M.onnx --input X.npy --out Y.npz [--blob NAME ...]
  opencv-dnn.py --caffe NET.prototxt W.caffemodel --input X.npy --time RUNS [--threads N]

Runs the net on the NCHW float32 input; writes the requested blobs ('/' as '__' in the keys), or
with --time prints JSON {"ms": [per-run wall ms...], "version": ...} after one warm-up run.
"""
import argparse
import json
import sys
import time

import cv2
import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--onnx')
    ap.add_argument('--caffe', nargs=2)
    ap.add_argument('--input', required=True)
    ap.add_argument('--out')
    ap.add_argument('--blob', action='append', default=[])
    ap.add_argument('--time', type=int, default=0)
    ap.add_argument('--threads', type=int, default=0)
    a = ap.parse_args()
    if a.threads > 0:
        cv2.setNumThreads(a.threads)
    net = cv2.dnn.readNetFromONNX(a.onnx) if a.onnx else cv2.dnn.readNetFromCaffe(a.caffe[0], a.caffe[1])
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    x = np.load(a.input).astype(np.float32)
    net.setInput(x)
    names = a.blob or net.getUnconnectedOutLayersNames()
    if a.time > 0:
        net.forward(names)
        ms = []
        for _ in range(a.time):
            t = time.perf_counter()
            net.forward(names)
            ms.append((time.perf_counter() - t) * 1000)
        print(json.dumps({'ms': ms, 'version': cv2.__version__, 'threads': cv2.getNumThreads()}))
        return
    outs = net.forward(names)
    np.savez(a.out, **{n.replace('/', '__'): np.asarray(o, dtype=np.float32) for n, o in zip(names, outs)})
    print(json.dumps({'blobs': list(names), 'version': cv2.__version__}))


if __name__ == '__main__':
    try:
        main()
    except cv2.error as e:
        sys.stderr.write('opencv: ' + str(e).strip().split('\n')[-1] + '\n')
        sys.exit(2)
