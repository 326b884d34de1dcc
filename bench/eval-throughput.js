/* eslint-disable */
// Eval throughput (images/s) with 1 and 2 workers, and their ratio.
//   node bench/eval-throughput.js MODEL_DIR IMAGES LABELS [--batch N] [--limit N] [--backend B]
// Uses the compiled package (npm run build): pass a converted model, an image folder (or list) and its labels.
const path = require('path');
const { evaluate } = require(path.join(__dirname, '..', 'dist', 'verify'));

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}

async function main() {
  const [modelDir, images, labels] = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !(i > 0 && all[i - 1].startsWith('--')));
  if (!labels) {
    console.error('usage: node bench/eval-throughput.js MODEL_DIR IMAGES LABELS [--batch N] [--limit N] [--backend B] [--channel-order RGB]');
    process.exit(2);
  }
  const batch = Number(arg('batch', '8'));
  const limit = arg('limit') ? Number(arg('limit')) : undefined;
  const backend = arg('backend');
  const channelOrder = arg('channel-order');
  const rates = {};
  for (const workers of [1, 2]) {
    const r = await evaluate({ modelDir, images, labels, batch, limit, workers, backend, channelOrder });
    rates[workers] = r.imagesPerSecond;
    console.log(`${workers} worker(s): ${r.imagesPerSecond.toFixed(1)} images/s (${r.images} images, ${r.seconds.toFixed(1)} s, ${r.backends[0]}, top-1 ${(r.top1Accuracy * 100).toFixed(2)}%)`);
  }
  console.log(`ratio 2/1: ${(rates[2] / rates[1]).toFixed(2)}`);
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
