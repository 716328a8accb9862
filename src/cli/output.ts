/** What the commands print. */
export { fmtInt, table } from '../experiment/text-table.js';

export function writeJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
