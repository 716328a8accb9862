/** A promise that fails, with a sentence naming what did not happen, if it takes longer than `ms`. */
import { MdlabError } from '../errors.js';

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new MdlabError(`${what} within ${ms / 1000} s`)), ms);
    }),
  ]);
}
