/** Storage of the 2-D weights in a written GGUF; norms and biases always stay F32. */
export type GgufWeightType = 'F32' | 'F16' | 'Q4_0';

/** One GGUF metadata value, with the GGUF type it is written as. */
export type GgufValue =
  | { type: 'uint32'; value: number }
  | { type: 'float32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string[]'; value: readonly string[] }
  | { type: 'int32[]'; value: ArrayLike<number> };

/** A tensor as llama.cpp names and shapes it, before conversion to its stored type. */
export interface GgufSourceTensor {
  /** llama.cpp's name (`blk.0.attn_q.weight`). */
  name: string;
  /** ggml order, fastest-varying first: `[in, out]` for a Hugging Face `[out, in]` matrix. */
  dims: number[];
  /**
   * Row-major values in that order (the bytes of a Hugging Face tensor, q/k rows permuted for
   * llama), computed when called: the writer asks once, as it reaches the tensor, then drops them.
   */
  values: () => Float32Array;
}

/** The parts of a Hugging Face `tokenizer.json` (byte-level BPE) that GGUF's `gpt2` tokenizer needs. */
export interface HfTokenizerJson {
  added_tokens: { id: number; content: string; special?: boolean }[];
  model: {
    type?: string;
    vocab: Record<string, number>;
    /** `"a b"` strings (older files) or `["a", "b"]` pairs (newer ones). */
    merges: (string | [string, string])[];
  };
}
