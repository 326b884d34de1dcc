/**
 * `senet eval --html`: an EvalResult as one self-contained page in the style of the net page:
 * top-1/top-5 beside the published numbers, the most confused class pairs, the worst classes,
 * throughput and the images that could not be read.
 */
import { esc, pageCss, rawTemplate, renderTemplate, safeHtml, scriptJson } from '../report';
import type { EvalResult, Prediction } from './eval';
import { imagenetClasses } from './labels';

export interface ConfusedPair {
  /** True class (labels file order). */
  label: number;
  /** Top-1 prediction (labels file order). */
  predicted: number;
  count: number;
  /** Images of the true class evaluated. */
  ofLabel: number;
}

export interface ClassAccuracy {
  label: number;
  images: number;
  correct: number;
  accuracy: number;
  /** The most frequent wrong top-1 prediction, if any. */
  topWrong?: { predicted: number; count: number };
}

export interface ConfusionSummary {
  /** Most confused (true, predicted) pairs, most frequent first. */
  pairs: ConfusedPair[];
  /** Classes with the lowest top-1 accuracy, lowest first. */
  worst: ClassAccuracy[];
  /** Classes with at least one evaluated image. */
  classesSeen: number;
}

/**
 * Confusions from the per-image predictions: ties among pairs go to the lower true class, then
 * the lower prediction; ties among classes to the one with more images, then the lower index.
 */
export function confusionSummary(predictions: readonly Prediction[], opts: { pairs?: number; worst?: number } = {}): ConfusionSummary {
  const perClass = new Map<number, { images: number; correct: number; wrong: Map<number, number> }>();
  for (const p of predictions) {
    let c = perClass.get(p.label);
    if (c === undefined) perClass.set(p.label, (c = { images: 0, correct: 0, wrong: new Map() }));
    c.images++;
    const top = p.top5[0];
    if (top === p.label) c.correct++;
    else c.wrong.set(top, (c.wrong.get(top) ?? 0) + 1);
  }
  const pairs: ConfusedPair[] = [];
  for (const [label, c] of perClass) for (const [predicted, count] of c.wrong) pairs.push({ label, predicted, count, ofLabel: c.images });
  pairs.sort((a, b) => b.count - a.count || a.label - b.label || a.predicted - b.predicted);
  const classes: ClassAccuracy[] = [...perClass].map(([label, c]) => {
    let topWrong: ClassAccuracy['topWrong'];
    for (const [predicted, count] of c.wrong) {
      if (topWrong === undefined || count > topWrong.count || (count === topWrong.count && predicted < topWrong.predicted)) topWrong = { predicted, count };
    }
    return { label, images: c.images, correct: c.correct, accuracy: c.correct / c.images, ...(topWrong ? { topWrong } : {}) };
  });
  classes.sort((a, b) => a.accuracy - b.accuracy || b.images - a.images || a.label - b.label);
  return { pairs: pairs.slice(0, opts.pairs ?? 15), worst: classes.slice(0, opts.worst ?? 10), classesSeen: perClass.size };
}

export interface EvalPageInfo {
  /** The model folder (or its name). */
  model: string;
  /** The image folder or list. */
  images: string;
  labels: string;
  /** Class names in the labels file's order (e.g. the model's own labels); ImageNet's for 1000 classes when absent. */
  classNames?: readonly string[];
  date?: Date;
}

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

function accuracyChart(r: EvalResult): string {
  const groups = [
    { name: 'top-1', run: r.top1Accuracy * 100, pub: r.published?.top1 },
    { name: 'top-5', run: r.top5Accuracy * 100, pub: r.published?.top5 },
  ];
  const W = 560;
  const rowH = 22;
  const left = 56;
  const plotW = W - left - 70;
  const bars = r.published ? 2 : 1;
  const groupH = bars * rowH + 14;
  const H = groups.length * groupH + 24;
  const out = [`<svg class="chart" id="accuracy-chart" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="accuracy, this run and published">`];
  for (let t = 0; t <= 100; t += 25) {
    const x = left + (plotW * t) / 100;
    out.push(`<line class="grid" x1="${x}" x2="${x}" y1="4" y2="${H - 18}"/><text class="tick" x="${x}" y="${H - 5}" text-anchor="middle">${t}%</text>`);
  }
  groups.forEach((g, k) => {
    const y0 = 6 + k * groupH;
    out.push(`<text class="axis-label" x="${left - 8}" y="${y0 + (bars * rowH) / 2 + 4}" text-anchor="end">${g.name}</text>`);
    const draw = (v: number | undefined, j: number, cls: string, label: string): void => {
      const y = y0 + j * rowH;
      const w = v === undefined ? 0 : (plotW * Math.max(0, Math.min(100, v))) / 100;
      out.push(`<rect class="${cls}" x="${left}" y="${y}" width="${w.toFixed(1)}" height="${rowH - 6}" rx="3"><title>${esc(label)}</title></rect>`);
      out.push(`<text class="acc-val" x="${(left + w + 6).toFixed(1)}" y="${y + rowH - 10}">${v === undefined ? '-' : `${v.toFixed(2)}%`}</text>`);
    };
    draw(g.run, 0, 'acc-run', `${g.name} this run`);
    if (r.published) draw(g.pub, 1, 'acc-pub', `${g.name} published (${r.published.model})`);
  });
  out.push('</svg>');
  return out.join('');
}

export function renderEvalPage(r: EvalResult, info: EvalPageInfo): string {
  const names = info.classNames !== undefined && info.classNames.length >= r.classes
    ? info.classNames.map((n) => ({ synset: '', words: n }))
    : r.classes === 1000 ? imagenetClasses(r.labelOrder) : undefined;
  const cls = (i: number): { id: number; synset: string; words: string } => ({ id: i, synset: names?.[i]?.synset ?? '', words: names?.[i]?.words ?? '' });
  const conf = confusionSummary(r.predictions);
  const signed = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`;
  const published = r.published && {
    model: r.published.model,
    dataset: r.published.dataset,
    source: r.published.source,
    top1: `${r.published.top1.toFixed(2)}%`,
    top5: r.published.top5 !== undefined ? `${r.published.top5.toFixed(2)}%` : '-',
    d1: signed(r.top1Accuracy * 100 - r.published.top1),
    d5: r.published.top5 !== undefined ? signed(r.top5Accuracy * 100 - r.published.top5) : '-',
  };
  const p1 = r.top1Accuracy;
  const stderr = r.evaluated > 0 ? (100 * Math.sqrt((p1 * (1 - p1)) / r.evaluated)).toFixed(2) : '-';
  const pre = r.preprocessing;
  const mean = pre.mean === undefined ? 'none' : pre.mean.kind === 'channel' ? pre.mean.values.join(', ') : `mean image ${pre.mean.shape.join('×')}`;
  const backends = [...new Set(r.backends)].join(', ');
  const date = (info.date ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z');
  return renderTemplate('eval.html.hbs', {
    title: `${info.model} · senet eval`,
    css: pageCss('report.css'),
    script: rawTemplate('report.js'),
    model: info.model,
    source: `${info.images} · ${info.labels}`,
    top1: pct(r.top1Accuracy),
    top5: pct(r.top5Accuracy),
    top1Hits: r.top1,
    top5Hits: r.top5,
    evaluated: r.evaluated,
    images: r.images,
    failedCount: r.failed.length,
    ips: r.imagesPerSecond.toFixed(1),
    workers: `${r.workers} worker${r.workers === 1 ? '' : 's'}, ${backends}`,
    published: published ?? false,
    stderr,
    chart: safeHtml(accuracyChart(r)),
    pairs: conf.pairs.map((p) => ({ count: p.count, share: pct(p.count / p.ofLabel), shareV: p.count / p.ofLabel, label: cls(p.label), predicted: cls(p.predicted) })),
    worst: conf.worst.map((c) => ({
      acc: pct(c.accuracy), accV: c.accuracy, accW: (80 * c.accuracy).toFixed(1), correct: c.correct, images: c.images, label: cls(c.label),
      wrong: c.topWrong ? cls(c.topWrong.predicted) : false, wrongCount: c.topWrong?.count ?? 0,
    })),
    classesSeen: conf.classesSeen,
    failed: r.failed,
    setup: [
      { k: 'model outputs', v: `${r.classes} classes in '${r.modelOrder}' order` },
      { k: 'labels', v: `${info.labels} ('${r.labelOrder}' order)` },
      { k: 'resize (shorter side)', v: pre.resize === 0 ? 'none' : String(pre.resize) },
      { k: 'centre crop', v: `${pre.crop[0]}×${pre.crop[1]}` },
      { k: 'channel order', v: pre.channelOrder },
      { k: 'mean', v: mean },
      { k: 'scale', v: String(pre.scale) },
      { k: 'time', v: `${r.seconds.toFixed(1)} s, ${r.imagesPerSecond.toFixed(1)} images/s with ${r.workers} worker(s) (${backends})` },
    ],
    footer: `senet eval · ${date}. Top-k: the true class is among the k most probable outputs of the single centre crop.`,
    data: scriptJson({}),
  });
}
