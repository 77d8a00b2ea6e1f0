import type { BenchResults } from './bench-results.js';
import type { PeerId } from './peers/peer-target.js';

interface Series {
  name: string;
  color: string;
  dash?: string;
  points: { context: number; value: number }[];
}

const SERIES: { peer: PeerId; name: string; color: string; dash?: string }[] = [
  { peer: 'owm-api', name: 'owm', color: '#2563eb' },
  { peer: 'transformers-js', name: 'transformers.js', color: '#d97706' },
  { peer: 'floor', name: 'floor (bare ORT loop)', color: '#4b5563', dash: '6 4' },
];
const WIDTH = 640;
const PANEL_HEIGHT = 280;
const MARGIN = { left: 64, right: 24, top: 56, bottom: 48 };

/**
 * Draws decode tok/s against context length (log scale) for owm, transformers.js and the floor,
 * one panel per model, as a standalone SVG document.
 */
export function decodeVsContextSvg(results: BenchResults): string {
  const contexts = results.settings.chartContexts;
  const panels = results.models.map((model) => ({
    title: model.label,
    series: SERIES.map(({ peer, ...style }): Series => {
      const runs = model.peers.find((report) => report.peer === peer)?.measurement?.runs ?? [];
      const points = contexts.flatMap((context) => {
        const run = runs.find((candidate) => candidate.promptLength === context);
        return run ? [{ context, value: run.decodeTokensPerSecond.median }] : [];
      });
      return { ...style, points };
    }),
  }));
  const height = Math.max(1, panels.length) * PANEL_HEIGHT;
  const body = panels.map((panel, index) => drawPanel(panel.title, panel.series, contexts, index * PANEL_HEIGHT)).join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    body,
    '</svg>',
    '',
  ].join('\n');
}

function drawPanel(title: string, series: Series[], contexts: number[], top: number): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const values = series.flatMap((line) => line.points.map((point) => point.value));
  const yMax = niceCeiling(Math.max(1, ...values) * 1.1);
  const [low, high] = [Math.min(...contexts), Math.max(...contexts)];
  const x = (context: number): number => MARGIN.left + (high === low ? plotWidth / 2 : ((Math.log2(context) - Math.log2(low)) / (Math.log2(high) - Math.log2(low))) * plotWidth);
  const y = (value: number): number => top + MARGIN.top + plotHeight - (value / yMax) * plotHeight;
  const parts: string[] = [`<text x="${MARGIN.left}" y="${top + 20}" font-size="14" font-weight="600">${escapeXml(title)}</text>`];

  series.forEach((line, index) => {
    const legendX = MARGIN.left + index * 170;
    parts.push(
      `<line x1="${legendX}" y1="${top + 36}" x2="${legendX + 24}" y2="${top + 36}" stroke="${line.color}" stroke-width="2.5"${dashAttribute(line)}/>`,
      `<text x="${legendX + 30}" y="${top + 40}">${escapeXml(line.points.length > 0 ? line.name : `${line.name} (n/a)`)}</text>`,
    );
  });
  for (let step = 0; step <= 4; step++) {
    const value = (yMax / 4) * step;
    parts.push(
      `<line x1="${MARGIN.left}" y1="${y(value)}" x2="${MARGIN.left + plotWidth}" y2="${y(value)}" stroke="#e5e7eb"/>`,
      `<text x="${MARGIN.left - 8}" y="${y(value) + 4}" text-anchor="end">${formatTick(value)}</text>`,
    );
  }
  for (const context of contexts) {
    parts.push(`<text x="${x(context)}" y="${top + MARGIN.top + plotHeight + 18}" text-anchor="middle">${context}</text>`);
  }
  parts.push(
    `<line x1="${MARGIN.left}" y1="${top + MARGIN.top + plotHeight}" x2="${MARGIN.left + plotWidth}" y2="${top + MARGIN.top + plotHeight}" stroke="#6b7280"/>`,
    `<text x="${MARGIN.left + plotWidth / 2}" y="${top + PANEL_HEIGHT - 10}" text-anchor="middle">context (tokens, log scale)</text>`,
    `<text transform="translate(16 ${top + MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">decode tok/s</text>`,
  );
  for (const line of series) {
    if (line.points.length === 0) continue;
    const path = line.points.map((point, index) => `${index === 0 ? 'M' : 'L'}${x(point.context).toFixed(1)} ${y(point.value).toFixed(1)}`).join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${line.color}" stroke-width="2.5"${dashAttribute(line)}/>`);
    for (const point of line.points) {
      parts.push(
        `<circle cx="${x(point.context).toFixed(1)}" cy="${y(point.value).toFixed(1)}" r="3.5" fill="${line.color}"><title>${escapeXml(`${line.name}: ${point.value.toFixed(1)} tok/s at ${point.context}`)}</title></circle>`,
      );
    }
  }
  return parts.join('\n');
}

function dashAttribute(line: Series): string {
  return line.dash ? ` stroke-dasharray="${line.dash}"` : '';
}

/** The smallest 1, 2 or 5 × 10^k at or above `value`. */
function niceCeiling(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function formatTick(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
