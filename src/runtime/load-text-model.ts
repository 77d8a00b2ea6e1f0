import { loadChatTemplate } from './load-chat-template.js';
import { loadGenerationConfig, type GenerationDefaults } from './load-generation-config.js';
import { loadTokenizer, type ModelTokenizer } from './load-tokenizer.js';

/** The text side of a model: what turns messages into ids and ids into text, and the model's defaults. */
export interface TextModel {
  tokenizer: ModelTokenizer;
  chatTemplate: string | null;
  defaults: GenerationDefaults;
}

/** Loads tokenizer, chat template and generation defaults from a model folder. */
export async function loadTextModel(dir: string): Promise<TextModel> {
  const [tokenizer, chatTemplate] = await Promise.all([loadTokenizer(dir), loadChatTemplate(dir)]);
  const defaults = await loadGenerationConfig(dir, { tokenizerEosTokenId: tokenizer.eosTokenId });
  return { tokenizer, chatTemplate, defaults };
}
