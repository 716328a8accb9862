/**
 * Mutated configs (issue 17): every shipped config, with values of the wrong type or range,
 * unknown keys, hostile names, deleted keys, YAML oddities and bytes flipped in the text. Each
 * goes through what `mdlab run` does before any process starts (read, sweep points, validate
 * every point): it is accepted, or it fails with one line naming the file; nothing reaches a
 * prototype, nothing hangs.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { readConfigFile, validateConfig } from '../../src/experiment/config.js';
import { sweepPoints } from '../../src/experiment/sweep.js';
import { ROOT } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';
import { CASES, expectUserError, SEED } from './fuzz-helpers.js';

const tmp = tempDir('mdlab-cfuzz-');
const recording = join(ROOT, 'recordings', 'default.pcap');
const shipped = [
  ...readdirSync(join(ROOT, 'configs')).filter((f) => f.endsWith('.yaml')).map((f) => join(ROOT, 'configs', f)),
  ...readdirSync(join(ROOT, 'configs', 'experiments')).map((f) => join(ROOT, 'configs', 'experiments', f)),
];
const texts = shipped.map((f) => readFileSync(f, 'utf8').replace(/recording: .*/, `recording: ${recording}`));
const objects = texts.map((t) => readConfigFile(writeAndName('base.yaml', t)));

function writeAndName(name: string, text: string): string {
  const f = join(tmp.dir, name);
  writeFileSync(f, text);
  return f;
}

/** Every place in a parsed config, as a path of keys and indices. */
function places(node: unknown, path: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [path];
  if (Array.isArray(node)) node.forEach((x, i) => out.push(...places(x, [...path, i])));
  else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) out.push(...places(v, [...path, k]));
  return out;
}

const hostile = fc.constantFrom('__proto__', 'constructor', '../../etc/passwd', '', ' ', 'a'.repeat(300), 'x\u0000y', '\u202e', 'feed/1', '-1', '1e309', '0x10', 'NaN', '239.100.1.1:26400', '224.0.0.1:1', '239.100.1.1:0', '1s', '-5ms', 'top', '%s%n', '${HOME}');
const anyValue = fc.oneof(
  hostile,
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e21, Number.MAX_SAFE_INTEGER, -0, 65536, 4097, 1 << 31),
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 8 })), { maxLength: 3 }),
  fc.dictionary(fc.oneof(hostile, fc.string({ maxLength: 6 })), fc.oneof(fc.integer(), fc.string({ maxLength: 6 })), { maxKeys: 3 }),
);

type Edit = { kind: 'set'; place: number; value: unknown } | { kind: 'delete'; place: number } | { kind: 'add'; place: number; key: string; value: unknown };
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), place: fc.nat(), value: anyValue }),
  fc.record({ kind: fc.constant('delete' as const), place: fc.nat() }),
  fc.record({ kind: fc.constant('add' as const), place: fc.nat(), key: fc.oneof(hostile, fc.constantFrom('sweep', 'env', 'EF_NAME', 'cpu', 'ring', 'delay', 'events', 'expect'), fc.string({ maxLength: 10 })), value: anyValue }),
);

function applyEdit(root: unknown, e: Edit): unknown {
  const all = places(root);
  const path = all[e.place % all.length];
  if (path.length === 0) return e.kind === 'set' ? e.value : root;
  let parent = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (e.kind === 'set') parent[last] = e.value;
  else if (e.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else {
    const target = parent[last];
    if (target && typeof target === 'object' && !Array.isArray(target)) Object.defineProperty(target, e.key, { value: e.value, enumerable: true, writable: true, configurable: true });
  }
  return root;
}

/** What `mdlab run` does with a config before it starts a process. */
function preflight(file: string): void {
  const raw = readConfigFile(file);
  const points = sweepPoints(raw, file);
  if (points.length === 0) validateConfig(raw, file);
  else for (const p of points) validateConfig(p.raw, file);
}

describe('fuzz: mutated configs', () => {
  it(`${CASES} structural cases (seed ${SEED}): accepted, or one line naming the file`, () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(fc.nat(), fc.array(edit, { minLength: 1, maxLength: 4 }), fc.constantFrom('yaml', 'json'), (which, edits, format) => {
        let cfg = structuredClone(objects[which % objects.length]);
        for (const e of edits) cfg = applyEdit(cfg, e);
        const file = join(tmp.dir, `mutant.${format}`);
        let text: string;
        try {
          text = format === 'json' ? JSON.stringify(cfg) ?? 'null' : stringify(cfg);
        } catch {
          return; // not expressible in that format: nothing a user could write
        }
        writeFileSync(file, text);
        try {
          preflight(file);
          accepted++;
        } catch (err) {
          expectUserError(err, file, `${format} ${JSON.stringify(edits)}`);
          rejected++;
        }
        expect(({} as Record<string, unknown>).polluted, 'a prototype was reached').toBeUndefined();
        expect(Object.keys(Object.prototype)).toEqual([]);
      }),
      { numRuns: CASES, seed: SEED, endOnFailure: true },
    );
    expect(accepted).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
    if (process.env.MDLAB_LONG === '1') process.stdout.write(`configs fuzz (structural): ${CASES} cases, ${accepted} accepted, ${rejected} rejected with one line\n`);
  }, 1_800_000);

  it(`${CASES} textual cases (seed ${SEED}): bytes flipped, inserted and cut in the YAML, and YAML oddities`, () => {
    const oddities = ['!custom ', '%YAML 9.9\n---\n', '? [a]\n: 1\n', '&a [*a]', '*nope', '<<: *x\n', '---\n', '...\n', '\t', '\u0000', '\ufeff', '{', '[', ': ', '- ', '"', "'", '#', '|\n', '>-\n', '!!binary ', '!!python/object ', 'a: 1\na: 2\n', '0o17', '.nan', '.inf', '~'];
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(fc.nat(), fc.array(fc.record({ at: fc.nat(), cut: fc.nat({ max: 8 }), insert: fc.oneof(fc.constantFrom(...oddities), fc.string({ maxLength: 4 })) }), { minLength: 1, maxLength: 4 }), (which, muts) => {
        let text = texts[which % texts.length];
        for (const m of muts) {
          const at = m.at % (text.length + 1);
          text = text.slice(0, at) + m.insert + text.slice(at + m.cut);
        }
        const file = join(tmp.dir, 'mutant-text.yaml');
        writeFileSync(file, text);
        try {
          preflight(file);
          accepted++;
        } catch (err) {
          expectUserError(err, file, JSON.stringify(muts));
          rejected++;
        }
      }),
      { numRuns: CASES, seed: SEED, endOnFailure: true },
    );
    expect(accepted).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
    if (process.env.MDLAB_LONG === '1') process.stdout.write(`configs fuzz (textual): ${CASES} cases, ${accepted} accepted, ${rejected} rejected with one line\n`);
  }, 1_800_000);
});
