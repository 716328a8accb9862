/**
 * The bench's scale run, in a process of its own (so its peak RSS is its own): a config too large
 * for a config file (100,000 memberships), validated as mdlab run validates one, run as a model.
 * argv: CONFIG.json PROFILE. Prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import { validateConfig } from '../experiment/config.js';
import { loadProfile } from '../model/profile.js';
import { runModel } from '../model/model-run.js';

const [file, profileName] = process.argv.slice(2);
const raw = JSON.parse(readFileSync(file, 'utf8')) as unknown;
const config = validateConfig(raw, file, { model: true });
const profile = loadProfile(profileName);
const cores = config.model?.cores;
const r = await runModel(config, { profile: cores ? { ...profile, cores } : profile });
process.stdout.write(`${JSON.stringify({ deliveries: r.deliveries, simMs: r.simMs, wallMs: r.wallMs, memberships: r.snapshot.subscribers.reduce((n, s) => n + s.memberships.length, 0), balanced: r.snapshot.totals.balanced })}\n`);
