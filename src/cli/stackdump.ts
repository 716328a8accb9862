/**
 * `mdlab stackdump`: the running lab's stacks, read from its registry in shared memory by
 * another process, in onload_stackdump's form (`#stack-id stack-name pids`, libstack.c).
 */
import type { Command } from 'commander';
import { MdlabError } from '../errors.js';
import { readLiveRegistries, type RegistryDocument } from '../onload/registry.js';
import { act } from './action.js';
import { table, writeJson } from './output.js';

interface StackdumpFlags {
  json?: boolean;
  lab?: string;
}

function documents(lab?: string): RegistryDocument[] {
  const docs = readLiveRegistries().filter((d) => !lab || String(d.labPid) === lab);
  if (docs.length === 0) throw new MdlabError(lab ? `no running lab with pid ${lab}` : 'no lab is running (start one with mdlab run)');
  return docs;
}

export function formatStacks(doc: RegistryDocument): string {
  const lines = ['#stack-id stack-name      pids'];
  for (const s of doc.stacks) if (s.live) lines.push(`${String(s.id).padEnd(9)} ${(s.name || '-').padEnd(15)} ${s.pids.join(',')}`);
  return lines.join('\n');
}

export function formatFilters(doc: RegistryDocument): string {
  const rows = doc.members.map((m) => [
    m.stack === null ? '-' : String(m.stack),
    m.subscriber,
    String(m.pid),
    m.group,
    m.stack === null ? 'not Onload' : m.state,
    doc.filters.some((f) => f.group === m.group && f.stack === m.stack) ? 'hw filter' : m.cause ?? '-',
  ]);
  return table(rows, ['stack', 'subscriber', 'pid', 'group', 'state', 'filter / cause']);
}

export function registerStackdump(program: Command): void {
  program
    .command('stackdump')
    .description("the running lab's stacks (#stack-id stack-name pids), or with 'filters' each member's state (ACCELERATED / KERNEL)")
    .argument('[view]', "'filters' for the filter view")
    .option('--json', 'print as JSON')
    .option('--lab <pid>', 'the lab to read, where several run')
    .action(act(async (view: string | undefined, flags: StackdumpFlags) => {
      if (view !== undefined && view !== 'filters') throw new MdlabError(`unknown view ${JSON.stringify(view)}: expected nothing or 'filters'`);
      const docs = documents(flags.lab);
      if (flags.json) {
        writeJson(docs.length === 1 ? docs[0] : docs);
        return 0;
      }
      const out = docs.map((d) => {
        const head = docs.length > 1 ? `lab ${d.labPid} (${d.config})\n` : '';
        return head + (view === 'filters' ? `NIC ${d.nic}: ${d.filters.length} of ${d.filterTable} filters in use\n${formatFilters(d)}` : formatStacks(d));
      });
      process.stdout.write(`${out.join('\n\n')}\n`);
      return 0;
    }));
}
