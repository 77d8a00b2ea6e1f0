import { UsageError } from '../../errors.js';
import { callXgrammar } from '../grammar/call-xgrammar.js';
import { jsonSchemaToEbnf, type GrammarSpec } from '../grammar/index.js';
import { loadXgrammar } from '../grammar/load-xgrammar.js';
import type { ToolCallFormat } from './tool-call-format.js';
import type { ToolChoice, ToolDefinition } from './tool-types.js';

/**
 * The grammar of a reply under `choice`, as an xgrammar structural tag:
 * - `auto`: free text, but a call, once started, is of a declared tool with arguments that validate;
 * - `required`: one or more calls and nothing else; a named tool: exactly one call of it.
 * `none` (no tools offered) has no grammar. Each tool's parameters compile without free whitespace.
 * `single` (OpenAI's `parallel_tool_calls: false`) allows one call at most.
 */
export async function toolCallGrammar(
  format: ToolCallFormat,
  tools: readonly ToolDefinition[],
  choice: ToolChoice,
  single = false,
): Promise<GrammarSpec | undefined> {
  if (choice === 'none') return undefined;
  const chosen = typeof choice === 'object' ? tools.filter((tool) => tool.name === choice.name) : tools;
  if (typeof choice === 'object' && chosen.length === 0) {
    throw new UsageError(`tool_choice names ${choice.name}, which is not among the tools: declare it in tools or choose another.`, { code: 'invalid-schema' });
  }
  const tags = await Promise.all(
    chosen.map(async (tool) => ({
      type: 'tag',
      begin: format.callBegin(tool.name),
      content: { type: 'grammar', grammar: await jsonSchemaToEbnf(JSON.stringify(tool.parameters), `the parameters of tool ${tool.name}`) },
      end: format.callEnd,
    })),
  );
  const calls =
    choice === 'auto'
      ? { type: 'triggered_tags', triggers: [format.trigger], tags, at_least_one: false, stop_after_first: single }
      : {
          type: 'tags_with_separator',
          tags,
          separator: format.separator ?? '\n',
          at_least_one: true,
          stop_after_first: single || typeof choice === 'object' || format.separator === undefined,
        };
  const tag = JSON.stringify({ type: 'structural_tag', format: calls });
  const xgrammar = await loadXgrammar();
  (await callXgrammar('The tools cannot be used', () => xgrammar.Grammar.fromStructuralTag(tag))).dispose();
  return { type: 'structural-tag', tag, literalTokens: format.literalTokens };
}
