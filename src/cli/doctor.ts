import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { MdlabError, quote } from '../errors.js';
import { inspectFeed } from '../feed/inspect.js';
import { openFeed } from '../feed/open-feed.js';
import { diagnose, formatDiagnosis } from '../onload/doctor.js';
import { parseHostDump } from '../onload/dump-parse.js';
import { hostConfig } from '../onload/host-config.js';
import { act } from './action.js';
import { writeJson } from './output.js';

const MAX_INPUT = 256 << 20;
const BUNDLED = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'recordings', 'default.pcap');

async function readInput(file: string): Promise<{ name: string; text: string }> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return { name: 'stdin', text: Buffer.concat(chunks).toString('utf8') };
  }
  if (!existsSync(file)) throw new MdlabError(`${file}: no such file`);
  const st = statSync(file);
  if (st.isDirectory()) throw new MdlabError(`${file}: is a directory; expected the text of onload_stackdump lots or filters`);
  if (st.size > MAX_INPUT) throw new MdlabError(`${file}: ${st.size} bytes is more than a stackdump (at most ${MAX_INPUT})`);
  const bytes = readFileSync(file);
  if (bytes.subarray(0, 4096).includes(0)) throw new MdlabError(`${file}: byte ${bytes.indexOf(0)}: a NUL byte: this is binary, not onload_stackdump text`);
  return { name: file, text: bytes.toString('utf8') };
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description("why a real host's multicast sockets are in the kernel: reads onload_stackdump lots and filters (and /proc/net/igmp, ss -uamp) as copied from the host, and explains each with the lab's own rules, cause and fix")
    .argument('<files...>', "text files (or - for stdin): the output of onload_stackdump lots, filters, the listing, /proc/net/igmp, ss -uamp")
    .option('--json', 'print the diagnosis as JSON')
    .option('--config <file>', 'also write an mdlab config that reproduces the host (stacks, EF_NAMEs, groups, NIC family) to replay in the lab')
    .action(act(async (files: string[], f: { json?: boolean; config?: string }) => {
      if (files.filter((x) => x === '-').length > 1) throw new MdlabError('- (stdin) may be given once');
      const inputs = [];
      for (const file of files) inputs.push(await readInput(file));
      const dump = parseHostDump(inputs);
      const diagnosis = diagnose(dump);
      if (f.config) {
        const reader = await openFeed(BUNDLED);
        const groups = (await inspectFeed(reader)).groups.map((g) => g.group);
        const text = hostConfig(dump, diagnosis, { recording: BUNDLED, recordingGroups: groups, sources: inputs.map((x) => x.name), writtenAt: new Date().toISOString() });
        try {
          writeFileSync(f.config, text);
        } catch (err) {
          throw new MdlabError(`--config ${quote(f.config)}: cannot write it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        }
      }
      if (f.json) writeJson({ ...diagnosis, config: f.config ?? null });
      else {
        process.stdout.write(formatDiagnosis(diagnosis));
        if (f.config) process.stdout.write(`\nwrote ${f.config}: replay this host in the lab with mdlab run ${f.config}\n`);
      }
      return 0;
    }));
}
