#!/usr/bin/env python3
"""Reference blobs for `senet parity`, with pycaffe.

    python3 tools/caffe-reference.py NET.prototxt W.caffemodel INPUT.npy OUT_DIR

Runs one TEST-phase forward pass on INPUT (float32 NCHW, already preprocessed) and writes every
blob as OUT_DIR/<blob>.npy, '/' in blob names written as '__'. Nets whose input is a data layer
need an Input-layer (deploy) version.
"""
import os, sys
import numpy as np
import caffe

net_file, weights, input_file, out = sys.argv[1:5]
caffe.set_mode_cpu()
net = caffe.Net(net_file, weights, caffe.TEST)
x = np.load(input_file).astype(np.float32)
name = net.inputs[0]
net.blobs[name].reshape(*x.shape)
net.blobs[name].data[...] = x
net.forward()
os.makedirs(out, exist_ok=True)
for blob, b in net.blobs.items():
    np.save(os.path.join(out, blob.replace('/', '__') + '.npy'), b.data)
print('wrote %d blobs to %s' % (len(net.blobs), out))
