/**
 * Sweeps: a matrix over any config values, e.g.
 *
 *   sweep:
 *     nic.model: [sfn6122f, x2522]
 *     subscribers[*].env.EF_NAME: ["", feed]
 *
 * Keys are paths into the config (dots, [n], and [*] for every element); every combination of the
 * listed values is one run.
 */
import { MdlabError } from '../errors.js';

export interface SweepPoint {
  index: number;
  /** A short name for its result directory. */
  name: string;
  values: Record<string, unknown>;
  raw: unknown;
}

type Json = Record<string, unknown> | unknown[];

/** At most this many points in one sweep: each is a whole lab run. */
export const MAX_SWEEP_POINTS = 64;
/** Names that reach an object's prototype, never a config key. */
const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

function tokens(path: string, file: string): (string | number | '*')[] {
  const out: (string | number | '*')[] = [];
  for (const part of path.split('.')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)((?:\[(?:\d{1,4}|\*)\])*)$/.exec(part);
    if (!m) throw new MdlabError(`${file}: sweep: key ${JSON.stringify(path)} is not a config path (such as nic.model or subscribers[*].env.EF_NAME)`);
    if (FORBIDDEN.has(m[1])) throw new MdlabError(`${file}: sweep: key ${JSON.stringify(path)}: ${m[1]} is not a config key`);
    out.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+|\*)\]/g)) out.push(idx[1] === '*' ? '*' : Number(idx[1]));
  }
  return out;
}

function setPath(node: unknown, path: (string | number | '*')[], value: unknown, key: string, file: string): void {
  const [head, ...rest] = path;
  if (head === '*') {
    if (!Array.isArray(node)) throw new MdlabError(`${file}: sweep: ${key}: [*] needs a list there`);
    for (const el of node) setPath(el, rest, value, key, file);
    return;
  }
  if (typeof node !== 'object' || node === null) throw new MdlabError(`${file}: sweep: ${key}: no such place in the config`);
  const obj = node as Json as Record<string | number, unknown>;
  if (Array.isArray(obj) && (typeof head !== 'number' || head >= obj.length)) throw new MdlabError(`${file}: sweep: ${key}: no such place in the config (${typeof head === 'number' ? `the list has ${obj.length}` : 'a list is indexed [n] or [*]'})`);
  if (!Array.isArray(obj) && typeof head === 'number') throw new MdlabError(`${file}: sweep: ${key}: no such place in the config ([${head}] needs a list there)`);
  if (rest.length === 0) {
    if (value === null) delete obj[head];
    else Object.defineProperty(obj, head, { value, enumerable: true, writable: true, configurable: true });
    return;
  }
  // Only the config's own keys are followed: never anything an object inherits.
  if (!Object.hasOwn(obj, head)) Object.defineProperty(obj, head, { value: typeof rest[0] === 'string' ? {} : [], enumerable: true, writable: true, configurable: true });
  setPath(obj[head], rest, value, key, file);
}

export function sweepPoints(raw: unknown, file: string): SweepPoint[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !Object.hasOwn(raw, 'sweep')) return [];
  const base = raw as Record<string, unknown>;
  const sweep = base.sweep;
  if (sweep === undefined) return [];
  if (typeof sweep !== 'object' || sweep === null || Array.isArray(sweep)) throw new MdlabError(`${file}: sweep: expected a mapping of config paths to lists of values`);
  const axes = Object.entries(sweep as Record<string, unknown>).map(([key, values]) => {
    if (!Array.isArray(values) || values.length === 0) throw new MdlabError(`${file}: sweep.${key}: expected a non-empty list of values`);
    return { key, path: tokens(key, file), values };
  });
  // Counted before any is built: four axes of a hundred values are 10^8 points.
  const count = axes.reduce((n, a) => n * a.values.length, 1);
  if (count > MAX_SWEEP_POINTS) throw new MdlabError(`${file}: sweep: ${axes.map((a) => a.values.length).join(' × ')} = ${count} points; at most ${MAX_SWEEP_POINTS}`);
  let combos: Record<string, unknown>[] = [{}];
  for (const a of axes) combos = combos.flatMap((c) => a.values.map((v) => ({ ...c, [a.key]: v })));
  return combos.map((values, index) => {
    const copy = structuredClone(base);
    delete copy.sweep;
    for (const a of axes) setPath(copy, a.path, values[a.key] === '' ? null : values[a.key], a.key, file);
    const name = `${index + 1}-${Object.values(values).map((v) => (v === '' || v === null ? 'none' : String(v))).join('-')}`.replace(/[^A-Za-z0-9._=-]/g, '_');
    return { index, name, values, raw: copy };
  });
}
