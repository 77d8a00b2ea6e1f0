export { detectToolCallFormat, type ToolCallFormat } from './tool-call-format.js';
export { toolCallGrammar } from './tool-call-grammar.js';
export { ToolCallParser, type ParsedPiece } from './tool-call-parser.js';
export type { ToolCall, ToolChoice, ToolDefinition } from './tool-types.js';
