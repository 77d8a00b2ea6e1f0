/** Words in each benchmark text (they vary a little around it). */
export const WORDS_PER_TEXT = 12;

/** Texts per second for one batch size, both peers on the same folder and texts. */
export interface EmbeddingSpeed {
  texts: number;
  owm: number;
  transformersJs: number;
}

/** The markdown table of a run: texts per second and owm's ratio. */
export function embeddingsMarkdown(speeds: EmbeddingSpeed[], threads: number): string {
  const rows = speeds.map(({ texts, owm, transformersJs }) => `| ${texts} | ${owm.toFixed(1)} | ${transformersJs.toFixed(1)} | ${(owm / transformersJs).toFixed(2)}× |`);
  return [
    `## Embeddings (all-MiniLM-L6-v2 shapes, ${WORDS_PER_TEXT}-word texts, ${threads} threads)`,
    '',
    '| texts per call | owm texts/s | transformers.js texts/s | owm / transformers.js |',
    '| ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ].join('\n');
}
