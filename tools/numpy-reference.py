#!/usr/bin/env python3
"""
An independent float64 forward pass of a parity fixture (test/fixtures/parity/<case>/), in numpy,
sharing no code with senet-caffe: its own prototxt reader, its own caffemodel (protobuf wire)
decoder, its own kernels. test/reference/numpy-independent.test.ts runs it and compares every blob
with the project's float64 reference (src/reference), which should agree to float64 rounding.

    python3 tools/numpy-reference.py test/fixtures/parity/se_resnext_50 OUT.npz

Covers the layer types of the reduced SENet fixtures (Input, Convolution with groups, BatchNorm,
Scale with one or two bottoms, ReLU, Sigmoid, Pooling MAX/AVE incl. global, InnerProduct, Softmax,
Axpy, Concat, Reshape, Dropout), TEST phase. Writes every blob's final value ('/' -> '__' in keys).
"""
import math
import re
import struct
import sys

import numpy as np


# ---- prototxt (text format, the subset the fixtures use) ----

def tokens(text):
    text = re.sub(r'#[^\n]*', '', text)
    return re.findall(r'"(?:[^"\\]|\\.)*"|[{}:]|[^\s{}:"]+', text)


def scalar(t):
    if t.startswith('"'):
        return t[1:-1]
    for conv in (int, float):
        try:
            return conv(t)
        except ValueError:
            pass
    return t  # enum names, true/false


def parse(toks, i=0):
    msg = {}
    while i < len(toks):
        name = toks[i]
        if name == '}':
            return msg, i + 1
        i += 1
        if toks[i] == ':':
            i += 1
        if toks[i] == '{':
            val, i = parse(toks, i + 1)
        else:
            val, i = scalar(toks[i]), i + 1
        msg.setdefault(name, []).append(val)
    return msg, i


def one(msg, name, default=None):
    v = msg.get(name)
    return v[0] if v else default


# ---- caffemodel (protobuf wire format) ----

def varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def fields(buf):
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(buf, i)
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 2:
            n, i = varint(buf, i)
            v, i = buf[i:i + n], i + n
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError('wire type %d' % wt)
        yield num, wt, v


def blob(buf):
    shape, legacy, data = [], {}, []
    for num, wt, v in fields(buf):
        if num == 7:  # BlobShape
            for n2, w2, v2 in fields(v):
                if n2 == 1 and w2 == 2:
                    j = 0
                    while j < len(v2):
                        d, j = varint(v2, j)
                        shape.append(d)
                elif n2 == 1:
                    shape.append(v2)
        elif num == 5 and wt == 2:
            data.append(np.frombuffer(bytes(v), dtype='<f4'))
        elif num == 5:
            data.append(np.frombuffer(bytes(v), dtype='<f4'))
        elif num in (1, 2, 3, 4) and wt == 0:
            legacy[num] = v
    if not shape and legacy:
        shape = [legacy.get(k, 1) for k in (1, 2, 3, 4)]
    return np.concatenate(data).astype(np.float64).reshape(shape)


def caffemodel(path):
    buf = memoryview(open(path, 'rb').read())
    layers = {}
    for num, wt, v in fields(buf):
        if num != 100:
            continue
        name, blobs = None, []
        for n2, w2, v2 in fields(v):
            if n2 == 1:
                name = bytes(v2).decode()
            elif n2 == 7:
                blobs.append(blob(v2))
        layers[name] = blobs
    return layers


# ---- kernels (float64) ----

def conv(x, w, b, p):
    k = one(p, 'kernel_size')
    s = one(p, 'stride', 1)
    pad = one(p, 'pad', 0)
    dil = one(p, 'dilation', 1)
    g = one(p, 'group', 1)
    n, c, h, wd = x.shape
    o = w.shape[0]
    oh = (h + 2 * pad - (dil * (k - 1) + 1)) // s + 1
    ow = (wd + 2 * pad - (dil * (k - 1) + 1)) // s + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((n, o, oh, ow))
    cg, og = c // g, o // g
    for gi in range(g):
        xs = xp[:, gi * cg:(gi + 1) * cg]
        ws = w[gi * og:(gi + 1) * og]
        for ky in range(k):
            for kx in range(k):
                win = xs[:, :, ky * dil:ky * dil + s * (oh - 1) + 1:s, kx * dil:kx * dil + s * (ow - 1) + 1:s]
                out[:, gi * og:(gi + 1) * og] += np.einsum('oc,nchw->nohw', ws[:, :, ky, kx], win)
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def pooled(size, k, s, pad):
    out = int(math.ceil((size + 2 * pad - k) / s)) + 1
    if pad > 0 and (out - 1) * s >= size + pad:
        out -= 1
    return out


def pool(x, p):
    n, c, h, w = x.shape
    if one(p, 'global_pooling', 'false') == 'true':
        k, s, pad = h, 1, 0
        kw = w
    else:
        k, s, pad = one(p, 'kernel_size'), one(p, 'stride', 1), one(p, 'pad', 0)
        kw = k
    oh, ow = pooled(h, k, s, pad), pooled(w, kw, s, pad)
    out = np.zeros((n, c, oh, ow))
    mode = one(p, 'pool', 'MAX')
    for i in range(oh):
        for j in range(ow):
            hs, ws = i * s - pad, j * s - pad
            he, we = min(hs + k, h + pad), min(ws + kw, w + pad)
            area = (he - hs) * (we - ws)
            hs, ws, he, we = max(hs, 0), max(ws, 0), min(he, h), min(we, w)
            win = x[:, :, hs:he, ws:we]
            out[:, :, i, j] = win.max(axis=(2, 3)) if mode == 'MAX' else win.sum(axis=(2, 3)) / area
    return out


def broadcast(operand, x, axis):
    shape = [1] * x.ndim
    shape[axis:axis + operand.ndim] = operand.shape
    return operand.reshape(shape)


def forward(net, weights, x):
    blobs = {}
    for l in net['layer']:
        t, name = one(l, 'type'), one(l, 'name')
        bottoms = [blobs[b] for b in l.get('bottom', [])]
        tops = l.get('top', [])
        w = weights.get(name, [])
        if t == 'Input':
            blobs[tops[0]] = x
            continue
        a = bottoms[0] if bottoms else None
        if t == 'Convolution':
            p = one(l, 'convolution_param', {})
            y = conv(a, w[0], w[1] if one(p, 'bias_term', 'true') == 'true' else None, p)
        elif t == 'BatchNorm':
            p = one(l, 'batch_norm_param', {})
            f = w[2].reshape(-1)[0]
            f = 0.0 if f == 0 else 1.0 / f
            m, v = w[0] * f, w[1] * f
            y = (a - broadcast(m, a, 1)) / np.sqrt(broadcast(v, a, 1) + one(p, 'eps', 1e-5))
        elif t == 'Scale':
            p = one(l, 'scale_param', {})
            gamma = bottoms[1] if len(bottoms) > 1 else w[0]
            axis = one(p, 'axis', 1)
            y = a * broadcast(gamma, a, axis)
            if one(p, 'bias_term', 'false') == 'true':
                y = y + broadcast(w[-1], a, axis)
        elif t == 'ReLU':
            y = np.where(a > 0, a, a * one(one(l, 'relu_param', {}), 'negative_slope', 0.0))
        elif t == 'Sigmoid':
            y = 1.0 / (1.0 + np.exp(-a))
        elif t == 'Pooling':
            y = pool(a, one(l, 'pooling_param', {}))
        elif t == 'InnerProduct':
            p = one(l, 'inner_product_param', {})
            y = a.reshape(a.shape[0], -1) @ w[0].T
            if one(p, 'bias_term', 'true') == 'true':
                y = y + w[1]
        elif t == 'Softmax':
            e = np.exp(a - a.max(axis=1, keepdims=True))
            y = e / e.sum(axis=1, keepdims=True)
        elif t == 'Axpy':
            s, xx, yy = bottoms
            y = s.reshape(s.shape[0], s.shape[1], 1, 1) * xx + yy
        elif t == 'Concat':
            y = np.concatenate(bottoms, axis=one(one(l, 'concat_param', {}), 'axis', 1))
        elif t == 'Reshape':
            dims = one(one(l, 'reshape_param', {}), 'shape', {}).get('dim', [])
            shape = [a.shape[i] if d == 0 else d for i, d in enumerate(dims)]
            y = a.reshape(shape)
        elif t == 'Dropout':
            y = a
        else:
            raise SystemExit('numpy-reference: layer type %s is not covered' % t)
        blobs[tops[0]] = y
    return blobs


def main():
    if len(sys.argv) != 3:
        raise SystemExit('usage: numpy-reference.py FIXTURE_DIR OUT.npz')
    d, out = sys.argv[1], sys.argv[2]
    net, _ = parse(tokens(open(d + '/net.prototxt').read()))
    x = np.load(d + '/input.npy').astype(np.float64)
    blobs = forward(net, caffemodel(d + '/weights.caffemodel'), x)
    np.savez(out, **{k.replace('/', '__'): v for k, v in blobs.items()})
    print('numpy-reference: %d blobs, numpy %s' % (len(blobs), np.__version__))


if __name__ == '__main__':
    main()
