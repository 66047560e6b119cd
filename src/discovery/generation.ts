/**
 * The advert generation: a per-node counter that only ever increases, persisted in the
 * data dir before an advert carrying it is sent, so a restart never reuses a number and a
 * replayed older advert can be told apart without any clock.
 */
import path from 'node:path';
import { NucmeshError } from '../errors.js';
import { readJsonFile, writeJsonFile } from '../node/state-file.js';

interface GenerationFile {
  version: 1;
  generation: number;
}

export function generationFile(dataDir: string): string {
  return path.join(dataDir, 'advert-generation.json');
}

export class GenerationCounter {
  #current: number;
  readonly #file: string;
  #chain: Promise<unknown> = Promise.resolve();

  private constructor(file: string, current: number) {
    this.#file = file;
    this.#current = current;
  }

  /** Load the last persisted generation (0 when none). A corrupt file is an error, never a reset. */
  static async open(dataDir: string): Promise<GenerationCounter> {
    const file = generationFile(dataDir);
    const doc = await readJsonFile<GenerationFile>(file);
    let current = 0;
    if (doc !== undefined) {
      if (doc.version !== 1 || !Number.isSafeInteger(doc.generation) || doc.generation < 0) {
        throw new NucmeshError(
          'E_STATE_CORRUPT',
          `${file}: /generation must be a whole number ≥ 0; move the file away only if this node's adverts may start again from 0`,
          { data: { file } },
        );
      }
      current = doc.generation;
    }
    return new GenerationCounter(file, current);
  }

  get current(): number {
    return this.#current;
  }

  /** Persist and return the next generation. Concurrent calls are serialised. */
  next(): Promise<number> {
    const run = this.#chain.then(async () => {
      const n = this.#current + 1;
      await writeJsonFile(this.#file, { version: 1, generation: n } satisfies GenerationFile);
      this.#current = n;
      return n;
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }
}
