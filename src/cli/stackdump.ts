/**
 * `mdlab stackdump`: the running lab's stacks, read from its registry in shared memory by
 * another process, as onload_stackdump prints them (src/onload/stackdump-format.ts).
 */
import type { Command } from 'commander';
import { MdlabError, quote } from '../errors.js';
import { parseDuration } from '../metrics/duration.js';
import { readLiveRegistries, type RegistryDocument } from '../onload/registry.js';
import { formatFilters, formatListing, formatLots, formatStats, selectStacks, stackdumpJson } from '../onload/stackdump-format.js';
import { act } from './action.js';

const VIEWS = ['lots', 'filters', 'stats', 'more_stats'] as const;
type View = (typeof VIEWS)[number] | 'list';

interface StackdumpFlags {
  json?: boolean;
  lab?: string;
  nopids?: boolean;
  describe?: boolean;
  watch?: string;
}

function documents(lab?: string): RegistryDocument[] {
  const docs = readLiveRegistries().filter((d) => !lab || String(d.labPid) === lab);
  if (docs.length === 0) throw new MdlabError(lab ? `no running lab with pid ${lab}` : 'no lab is running (start one with mdlab run)');
  return docs;
}

function render(docs: RegistryDocument[], view: View, stack: string | undefined, f: StackdumpFlags): string {
  const dumpedAt = new Date().toISOString();
  if (stack !== undefined && docs.every((d) => selectStacks(d, stack).length === 0)) {
    throw new MdlabError(`no stack ${quote(stack)} in ${docs.length === 1 ? `lab ${docs[0].labPid}` : 'the running labs'}: give a stack id or EF_NAME, as the listing shows`);
  }
  if (f.json) {
    const out = docs.map((d) => stackdumpJson(d, view, { stack, dumpedAt }));
    return `${JSON.stringify(out.length === 1 ? out[0] : out, null, 2)}\n`;
  }
  return docs.map((d) => {
    const head = docs.length > 1 ? `lab ${d.labPid} (${d.config})\n` : '';
    switch (view) {
      case 'lots':
        return head + formatLots(d, { stack, nopids: f.nopids });
      case 'filters':
        return head + formatFilters(d);
      case 'stats':
      case 'more_stats':
        return head + formatStats(d, view, { stack, describe: f.describe });
      default:
        return head + formatListing(d, { nopids: f.nopids, stack });
    }
  }).join('\n');
}

export function registerStackdump(program: Command): void {
  program
    .command('stackdump')
    .description("the running lab's stacks as onload_stackdump prints them: the listing (#stack-id stack-name pids), lots (each stack and its UDP sockets' rcv: counters), filters (oof_manager_dump), stats and more_stats")
    .argument('[view]', `one of ${VIEWS.join(', ')} (none: the listing)`)
    .argument('[stack]', 'only this stack: its id or its EF_NAME')
    .option('--json', 'print the view as JSON')
    .option('--lab <pid>', 'the lab to read, where several run')
    .option('--nopids', 'leave out the pids, as onload_stackdump --nopids')
    .option('--describe', 'stats and more_stats: each counter\'s description, as onload_stackdump describe_stats')
    .option('--watch <interval>', 'print again every interval (1s, 500ms) until Ctrl-C or the lab ends, as AeronStat refreshes')
    .action(act(async (viewArg: string | undefined, stack: string | undefined, f: StackdumpFlags) => {
      let view: View = 'list';
      if (viewArg !== undefined) {
        if ((VIEWS as readonly string[]).includes(viewArg)) view = viewArg as View;
        else if (/^\d+$/.test(viewArg) && stack === undefined) stack = viewArg; // `mdlab stackdump 0`: the listing of stack 0
        else throw new MdlabError(`unknown view ${quote(viewArg)}: expected one of ${VIEWS.join(', ')}, or nothing for the listing`);
      }
      if (f.watch === undefined) {
        process.stdout.write(render(documents(f.lab), view, stack, f));
        return 0;
      }
      const everyMs = parseDuration(f.watch, '--watch', 3600e9) / 1e6;
      if (everyMs < 100) throw new MdlabError(`--watch ${quote(f.watch)}: at least 100ms`);
      let stop = false;
      const onStop = () => (stop = true);
      process.once('SIGINT', onStop);
      process.once('SIGTERM', onStop);
      const tty = process.stdout.isTTY === true;
      for (let first = true; !stop; first = false) {
        let docs: RegistryDocument[];
        try {
          docs = documents(f.lab);
        } catch (err) {
          if (first) throw err;
          process.stdout.write(`mdlab: the lab has ended\n`);
          return 0;
        }
        const text = render(docs, view, stack, f);
        // A terminal is redrawn in place; a pipe gets one block per refresh, stamped.
        process.stdout.write(tty ? `\x1b[H\x1b[2J${text}` : `${first ? '' : '\n'}# ${new Date().toISOString()}\n${text}`);
        const until = Date.now() + everyMs;
        while (!stop && Date.now() < until) await new Promise((res) => setTimeout(res, Math.min(100, until - Date.now())));
      }
      return 0;
    }));
}
