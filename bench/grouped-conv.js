'use strict';
// Grouped convolution on the wasm backend: DepthwiseConv2dNative + Reshape + Sum versus
// Split + per-group Conv2D + ConcatV2, at SE-ResNeXt-50 (32x4d) sizes. Both graphs are built,
// written and loaded exactly as converted models are, and timed alternately in the same run.
// Needs `npm run build` first. Usage: node bench/grouped-conv.js [iterations]
const fs = require('fs');
const os = require('os');
const path = require('path');
const { GraphBuilder, writeGraphModel } = require('../dist/tfgraph');
const { initBackend, loadModel, runModel } = require('../dist/runtime');

const ITER = Number(process.argv[2] || 10);

// [H, C(=O), stride]: the 3x3 grouped convs of SE-ResNeXt-50's four stages (and the strided entries).
const CASES = [
  { H: 56, C: 128, stride: 1 },
  { H: 56, C: 256, stride: 2 },
  { H: 28, C: 256, stride: 1 },
  { H: 14, C: 512, stride: 1 },
  { H: 7, C: 1024, stride: 1 },
];
const GROUPS = 32;

function rand(n, seed) {
  let s = seed >>> 0;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

/** Group g's filter [3, 3, C/G, C/G]: output channels g*(C/G) .. of the grouped HWIO filter. */
function groupFilter(f, g) {
  const [kh, kw, cg, o] = f.shape;
  const og = o / GROUPS;
  const d = new Float32Array(kh * kw * cg * og);
  for (let p = 0; p < kh * kw * cg; p++) for (let m = 0; m < og; m++) d[p * og + m] = f.data[p * o + g * og + m];
  return { data: d, shape: [kh, kw, cg, og] };
}

/** The grouped HWIO filter packed as the depthwise filter [3, 3, C, C/G] (see groupedConv2dPacked). */
function packed(f) {
  const [kh, kw, cg, o] = f.shape;
  const og = o / GROUPS;
  const C = cg * GROUPS;
  const d = new Float32Array(kh * kw * C * og);
  for (let p = 0; p < kh * kw; p++) {
    for (let g = 0; g < GROUPS; g++) {
      for (let i = 0; i < cg; i++) for (let m = 0; m < og; m++) d[(p * C + g * cg + i) * og + m] = f.data[(p * cg + i) * o + g * og + m];
    }
  }
  return { data: d, shape: [kh, kw, C, og] };
}

// The two formulations: the converter's, and SplitV + one Conv2D per group + ConcatV2.
const FORMS = {
  depthwise: (g, x, f, opts) => g.groupedConv2dPacked(x, packed(f), { ...opts, groups: GROUPS, name: 'y' }),
  split: (g, x, f, opts) => {
    const parts = g.splitV(x, Array(GROUPS).fill(f.shape[2]), 3, { name: 'y/split' });
    return g.concat(parts.map((p, i) => g.conv2d(p, groupFilter(f, i), { ...opts, name: `y/group${i}` })), 3, { name: 'y' });
  },
};

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  const info = await initBackend('wasm');
  console.log(`backend ${info.name}, ${ITER} timed runs per formulation (medians), groups ${GROUPS}, 3x3, batch 1`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-bench-gconv-'));
  try {
    const ratios = [];
    for (const c of CASES) {
      const Ho = Math.floor((c.H + 2 - 3) / c.stride) + 1;
      const filter = { data: rand(9 * (c.C / GROUPS) * c.C, c.C), shape: [3, 3, c.C / GROUPS, c.C] };
      const models = {};
      for (const method of ['depthwise', 'split']) {
        const g = new GraphBuilder();
        const x = g.placeholder('x', [1, c.H, c.H, c.C]);
        g.output(FORMS[method](g, x, filter, { strides: [c.stride, c.stride], pads: [1, 1, 1, 1] }));
        const dir = path.join(tmp, `${method}-${c.H}-${c.C}-${c.stride}`);
        writeGraphModel(dir, g);
        models[method] = await loadModel(dir);
      }
      const input = { data: rand(c.H * c.H * c.C, 7), shape: [1, c.H, c.H, c.C] };
      const a = runModel(models.depthwise, input).y;
      const b = runModel(models.split, input).y;
      let diff = 0;
      for (let i = 0; i < a.data.length; i++) diff = Math.max(diff, Math.abs(a.data[i] - b.data[i]));
      const times = { depthwise: [], split: [] };
      for (let it = 0; it < ITER; it++) {
        // Alternate so drift (thermal, GC) hits both formulations alike.
        for (const method of it % 2 ? ['split', 'depthwise'] : ['depthwise', 'split']) {
          const t0 = process.hrtime.bigint();
          runModel(models[method], input);
          times[method].push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
      }
      const d = median(times.depthwise);
      const s = median(times.split);
      ratios.push(s / d);
      console.log(
        `1x${c.H}x${c.H}x${c.C} -> 1x${Ho}x${Ho}x${c.C} stride ${c.stride}: ` +
          `depthwise+reshape+sum ${d.toFixed(2)} ms, split/concat ${s.toFixed(2)} ms, ` +
          `split/depthwise ${(s / d).toFixed(2)}x (max |diff| ${diff.toExponential(1)})`,
      );
      models.depthwise.model.dispose();
      models.split.model.dispose();
    }
    const geo = Math.exp(ratios.reduce((p, r) => p + Math.log(r), 0) / ratios.length);
    console.log(`geometric mean split/depthwise: ${geo.toFixed(2)}x`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
