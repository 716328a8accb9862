/** Option parsers for commander: each throws an MdlabError that names the option. */
import { MdlabError } from '../errors.js';

export function intOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new MdlabError(`${name} ${JSON.stringify(value)}: expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

export function numberOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new MdlabError(`${name} ${JSON.stringify(value)}: expected a number from ${min} to ${max}`);
    }
    return n;
  };
}
