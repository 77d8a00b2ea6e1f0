import { fillRandom } from './fill-random.js';

interface Recipe {
  size: number;
  draw: () => Float32Array;
}

/**
 * Weights by Hugging Face name, each drawn when asked for and kept by no one but its user: a 7B's
 * float32 weights (29 GB) do not fit in memory at once, and writers only need one at a time. The
 * same name gives the same values at every call; iterating draws them one after the other.
 */
export class ModelWeights implements Iterable<[string, Float32Array]> {
  private readonly recipes = new Map<string, Recipe>();

  constructor(private readonly seed: number) {}

  /** Names, in the order they were added. */
  get names(): string[] {
    return [...this.recipes.keys()];
  }

  /** Adds `size` random values (see `fillRandom`) for `name`. */
  random(name: string, size: number, std: number, mean = 0): void {
    const { seed } = this;
    this.recipes.set(name, { size, draw: () => fillRandom(new Float32Array(size), seed, name, std, mean) });
  }

  /** Makes `name` hold what `from` holds now. */
  alias(name: string, from: string): void {
    this.recipes.set(name, this.recipe(from));
  }

  /** From now on, `name` holds `change` of the values it held (their 4-bit rounding, say), as many. */
  transform(name: string, change: (values: Float32Array) => Float32Array): void {
    const { size, draw } = this.recipe(name);
    this.recipes.set(name, { size, draw: () => change(draw()) });
  }

  has(name: string): boolean {
    return this.recipes.has(name);
  }

  /** How many values `name` holds, without drawing them; 0 when there is no such weight. */
  size(name: string): number {
    return this.recipes.get(name)?.size ?? 0;
  }

  /** `name`'s values, drawn anew at each call; undefined when there is no such weight. */
  get(name: string): Float32Array | undefined {
    return this.recipes.get(name)?.draw();
  }

  *[Symbol.iterator](): Iterator<[string, Float32Array]> {
    for (const [name, { draw }] of this.recipes) yield [name, draw()];
  }

  private recipe(name: string): Recipe {
    const recipe = this.recipes.get(name);
    if (!recipe) throw new Error(`Synthetic model: no weight named ${name}.`);
    return recipe;
  }
}
