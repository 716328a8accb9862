/** Facts about the host a run's figures came from: results and bench files carry them. */
import { createRequire } from 'node:module';
import { cpus } from 'node:os';

const require = createRequire(import.meta.url);
const pkg = require('../../package.json') as { version: string };

export type HostFacts = {
  mdlab: string;
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  finishedAt: string;
};

export function hostFacts(): HostFacts {
  return { mdlab: pkg.version, node: process.version, platform: `${process.platform} ${process.arch}`, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', finishedAt: new Date().toISOString() };
}
