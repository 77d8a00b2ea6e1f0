import { z } from 'zod';
import { isValidRepoId } from './is-valid-repo-id.js';

/** The devices owm runs models on. */
export const DEVICES = ['cpu', 'cuda'] as const;

/** One of {@link DEVICES}. */
export const deviceSchema = z.enum(DEVICES);

/** A device owm runs models on. */
export type Device = z.infer<typeof deviceSchema>;

/** A model name or alias; ':' and '@' are left out because they introduce a variant and a revision. */
export const MODEL_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;

const NAME_RULE = "must be lowercase letters, digits, '.', '_' or '-'";

/** A model name or alias as users type it (`qwen2.5-0.5b`). */
export const modelNameSchema = z.string().regex(MODEL_NAME_PATTERN, NAME_RULE);

/** A variant name (`q4`, `int4-gpu`); unlike model names it may keep a folder's capitals. */
export const variantNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][\w.-]*$/, "must be letters, digits, '.', '_' or '-'");

/** The licence a model ships under, and whether using it needs an explicit acceptance. */
export const licenseSchema = z.strictObject({
  /** SPDX-like id as the Hub shows it (`apache-2.0`, `llama3.2`, `gemma`). */
  id: z.string().min(1),
  /** Human-readable name. */
  name: z.string().min(1),
  /** Where the full text lives. */
  url: z.url(),
  /** True for licences with use restrictions that the user must accept before a pull. */
  restrictive: z.boolean(),
});

/** A model's licence. */
export type License = z.infer<typeof licenseSchema>;

/** One variant of a model: the file (or genai folder) in the repo and the devices it suits. */
export const variantSchema = z.strictObject({
  /** The `.onnx` file (transformers.js layout) or the folder ending in '/' (genai layout). */
  path: z
    .string()
    .refine(
      (p) => !p.startsWith('/') && !p.split('/').includes('..'),
      'must be a path inside the repo',
    )
    .refine(
      (p) => p.endsWith('.onnx') || p.endsWith('/'),
      "must name an .onnx file or a folder ending in '/'",
    ),
  /** The devices this variant is meant for. */
  devices: z.array(deviceSchema).min(1),
});

/** One variant of a model. */
export type VariantSpec = z.infer<typeof variantSchema>;

/** How an embedding model pools token states into one vector (sentence-transformers' Pooling modes). */
export const POOLINGS = ['mean', 'cls', 'max', 'last_token'] as const;

/** One of {@link POOLINGS}. */
export type Pooling = (typeof POOLINGS)[number];

/**
 * What makes an entry an embedding model. `pooling` and `normalize` apply only when the folder has
 * no sentence-transformers config of its own (modules.json), as the transformers.js copies lack it.
 */
export const embeddingSpecSchema = z.strictObject({
  /** Length of the vectors. */
  dimensions: z.int().positive(),
  pooling: z.enum(POOLINGS),
  /** @default true */
  normalize: z.boolean().default(true),
});

/** The embedding part of a registry entry. */
export type EmbeddingSpec = z.infer<typeof embeddingSpecSchema>;

/** One registry entry: where a model lives on the Hub and what owm needs to know about it. */
export const modelEntrySchema = z
  .strictObject({
    /** `org/name` on the Hub. */
    repo: z
      .string()
      .refine(isValidRepoId, "must be an org/name repo id of letters, digits, '-', '_' and '.'"),
    /** Branch, tag or commit to pull. @default "main" */
    revision: z.string().min(1).default('main'),
    /** Other names users may type for this model. */
    aliases: z.array(modelNameSchema).default([]),
    /** One line for `owm list --available`. */
    description: z.string().min(1).optional(),
    license: licenseSchema.optional(),
    /** True when the Hub repo itself needs an accepted licence and a token. @default false */
    gated: z.boolean().default(false),
    /** Maximum tokens of context the model supports. */
    context_length: z.int().positive().optional(),
    /** Number of parameters, for display. */
    parameters: z.int().positive().optional(),
    /** Present for embedding models (`owm embed`), absent for chat models (`owm run`). */
    embedding: embeddingSpecSchema.optional(),
    /** Variant name → file or folder; a user entry may leave this out and let owm detect them. */
    variants: z.record(variantNameSchema, variantSchema).default({}),
    /** The variant to pull when none is asked for, per device. */
    default_variant: z
      .strictObject({ cpu: variantNameSchema.optional(), cuda: variantNameSchema.optional() })
      .optional(),
  })
  .superRefine((entry, ctx) => {
    for (const device of DEVICES) {
      const name = entry.default_variant?.[device];
      if (name !== undefined && !(name in entry.variants)) {
        const declared = Object.keys(entry.variants);
        ctx.addIssue({
          code: 'custom',
          path: ['default_variant', device],
          message:
            declared.length === 0
              ? `names variant '${name}' but the entry declares no variants`
              : `names variant '${name}', which is not one of ${declared.join(', ')}`,
        });
      }
    }
  });

/** A validated registry entry, defaults filled in. */
export type ModelEntry = z.infer<typeof modelEntrySchema>;

/** A whole registry file: `models:` maps each name to its entry. */
export const registryFileSchema = z.strictObject({
  /** Format version, for future changes. */
  version: z.literal(1).optional(),
  models: z.record(modelNameSchema, modelEntrySchema).default({}),
});

/** A validated registry file. */
export type RegistryFile = z.infer<typeof registryFileSchema>;
