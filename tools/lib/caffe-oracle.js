'use strict';
/**
 * The Caffe oracle as the fixture tools drive it: where it is, a forward pass that dumps every
 * blob, and the record of the run that each fixture's manifest keeps.
 */
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const ORACLE = process.env.CAFFE_ORACLE || '/opt/caffe-bullseye/bin/caffe-oracle';

/** Exits 2 with a message naming `tool` when the oracle is not installed. */
function requireOracle(tool) {
  if (!fs.existsSync(ORACLE)) {
    console.error(`${tool}: the Caffe oracle is not at ${ORACLE} (set CAFFE_ORACLE)`);
    process.exit(2);
  }
}

/**
 * Real Caffe's forward pass of `netFile` with `weightsFile` on the float32 input `x`, working in
 * `tmp`: every blob in Caffe's order ({ name, shape, data }), and run.json (BLAS, threads).
 * One BLAS thread, so the sums are in one order from run to run.
 */
function oracleForward(netFile, weightsFile, x, tmp) {
  const inF32 = path.join(tmp, 'in.f32');
  fs.writeFileSync(inF32, Buffer.from(x.buffer, x.byteOffset, x.byteLength));
  const outdir = path.join(tmp, 'out');
  execFileSync(ORACLE, ['forward', netFile, weightsFile, inF32, outdir, '--runs', '1'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
  });
  const list = JSON.parse(fs.readFileSync(path.join(outdir, 'blobs.json'), 'utf8'));
  const run = JSON.parse(fs.readFileSync(path.join(outdir, 'run.json'), 'utf8'));
  const blobs = list.map((b) => {
    const raw = fs.readFileSync(path.join(outdir, b.file));
    return { name: b.name, shape: b.shape, data: new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)) };
  });
  return { blobs, run };
}

/** The manifest's `caffe` entry: which Caffe and BLAS computed the fixture. */
function caffeRecord(run) {
  return {
    oracle: 'caffe-oracle (BVLC Caffe 1.0.0+git20180821.99bd997-8+b2, Debian bullseye, CPU)',
    blas: run.blas_library,
    openblasConfig: run.openblas_config,
    openblasThreads: run.openblas_threads,
    openblasCoretype: process.env.OPENBLAS_CORETYPE || 'default',
  };
}

module.exports = { ORACLE, requireOracle, oracleForward, caffeRecord };
