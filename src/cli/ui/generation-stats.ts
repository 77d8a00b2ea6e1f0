import type { GenerationStats } from '../../runtime/generate-text.js';
import type { ModelInfo } from '../../runtime/local-model.js';

/** The `--verbose` summary printed on stderr after an answer. */
export function formatGenerationStats(stats: GenerationStats, info?: ModelInfo): string {
  const ms = (value: number): string => (value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`);
  const rate = (value: number): string => `${value.toFixed(1)} tok/s`;
  return [
    `prompt ${stats.promptTokens} tokens${stats.reusedPromptTokens > 0 ? ` (${stats.reusedPromptTokens} already cached)` : ''}, generated ${stats.generatedTokens} tokens (${stats.stopReason})`,
    `${info ? `load ${ms(info.loadMs)} on ${info.device} (${info.threads} threads), ` : ''}time to first token ${ms(stats.timeToFirstTokenMs)}`,
    // A server reports no prefill timing of its own.
    `${info ? `prefill ${rate(stats.prefillTokensPerSecond)}, ` : ''}decode ${rate(stats.decodeTokensPerSecond)}`,
    ...(stats.draftedTokens ? [`prompt lookup: ${stats.acceptedDrafts} of ${stats.draftedTokens} drafted tokens accepted`] : []),
  ].join('\n');
}
