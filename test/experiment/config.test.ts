import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/experiment/config.js';
import { MdlabError } from '../../src/errors.js';
import { ROOT } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir();
const recording = join(ROOT, 'recordings', 'default.pcap');

function errorFor(yaml: string, name = 'bad.yaml'): string {
  const f = tmp.file(name);
  writeFileSync(f, yaml.replace('REC', recording));
  try {
    loadConfig(f);
  } catch (err) {
    expect(err).toBeInstanceOf(MdlabError);
    return (err as Error).message.replace(`${tmp.dir}/`, '');
  }
  throw new Error('expected the config to be rejected');
}

const base = `recording: REC
subscribers:
  - name: a
    groups: [239.100.1.1:26400]
`;

describe('lab config validation: the file, the key path and what was expected', () => {
  it('loads every shipped config', () => {
    for (const f of ['default', 'ef-name-trap', 'ef-name-shared', 'replication', 'non-onload-subscriber', 'filter-table-full', 'spin-vs-interrupt', 'paths']) {
      const c = loadConfig(join(ROOT, 'configs', `${f}.yaml`));
      expect(c.subscribers.length, f).toBeGreaterThan(0);
    }
  });

  it.each([
    ['an unknown top-level key', `${base}colour: blue\n`, 'bad.yaml: colour: unknown key; expected one of name, description, recording'],
    ['an unknown subscriber key', base.replace('    groups', '    group: x\n    groups'), 'bad.yaml: subscribers[0].group: unknown key'],
    ['an unknown EF_ setting', `${base}    env: { EF_SPIN: 1 }\n`, 'bad.yaml: subscribers[0].env.EF_SPIN: unknown key; expected one of EF_NAME'],
    ['a non-multicast group', base.replace('239.100.1.1', '10.0.0.1'), 'bad.yaml: subscribers[0].groups[0]: "10.0.0.1:26400": 10.0.0.1 is not a multicast address'],
    ['a port out of range', base.replace(':26400', ':70000'), 'bad.yaml: subscribers[0].groups[0]: "239.100.1.1:70000": port 70000 is out of range (1 to 65535)'],
    ['a group without a port', base.replace(':26400', ''), 'subscribers[0].groups[0]: "239.100.1.1": expected ADDRESS:PORT'],
    ['an unknown NIC model', `${base}nic: { model: cx6 }\n`, 'bad.yaml: nic.model: expected one of sfn6122f, sfn8522, x2522, x3522, inic, af_xdp, got "cx6"'],
    ['af_xdp without a filter table', `${base}nic: { model: af_xdp }\n`, 'bad.yaml: nic.filterTable: the af_xdp model has no fixed filter table'],
    ['a name that is not a short identifier', base.replace('name: a', 'name: "book one"'), 'bad.yaml: subscribers[0].name: expected a short identifier'],
    ['an EF_NAME that is not one', `${base}    env: { EF_NAME: "feed/1" }\n`, 'bad.yaml: subscribers[0].env.EF_NAME: expected a short identifier'],
    ['a bad EF_POLL_USEC', `${base}    env: { EF_POLL_USEC: lots }\n`, 'bad.yaml: subscribers[0].env.EF_POLL_USEC: expected a whole number of microseconds'],
    ['a bad duration', `${base}duration: forever\n`, 'bad.yaml: duration: expected a duration such as 500ms, 3s or 2m, got "forever"'],
    ['a ring that is not a power of two', base.replace('    groups', '    ring: 1000\n    groups'), 'bad.yaml: subscribers[0].ring: expected a power of two, got 1000'],
    ['a missing recording', base.replace('REC', '/nope.pcap'), 'bad.yaml: recording: no such file: /nope.pcap'],
    ['no subscribers', 'recording: REC\n', 'bad.yaml: subscribers: expected a list of at least one subscriber'],
    ['EF settings on a non-Onload process', `${base}    onload: false\n    env: { EF_NAME: x }\n`, 'bad.yaml: subscribers[0].env: a subscriber with onload: false (receive: kernel) takes no EF_* settings'],
    ['two subscribers with one name', `${base}  - name: a\n    groups: [239.100.1.2:26400]\n`, 'bad.yaml: subscribers[1].name: a is already the name of another subscriber'],
    ['an unknown receive mode', `${base}    receive: dpdk\n`, 'bad.yaml: subscribers[0].receive: expected one of kernel, offload, onload, onload-zc, ef_vi, got "dpdk"'],
    ['offload on a NIC without socket offload', `${base}    receive: offload\n`, 'bad.yaml: subscribers[0].receive: receive: offload needs a socket-offload NIC (nic.model: inic); sfn6122f has none'],
    ['an Onload mode on a process not using Onload', `${base}    onload: false\n    receive: onload-zc\n`, 'bad.yaml: subscribers[0].receive: a process not using Onload (onload: false) receives through kernel sockets: receive: kernel, not onload-zc'],
    ['EF_NAME on an ef_vi application', `${base}    receive: ef_vi\n    env: { EF_NAME: feed }\n`, 'bad.yaml: subscribers[0].env.EF_NAME: an ef_vi application has a virtual interface of its own'],
    ['a YAML syntax error', 'recording: [unclosed\n', 'bad.yaml: line'],
  ])('%s', (_what, yaml, expected) => {
    expect(errorFor(yaml)).toContain(expected);
  });

  it('receive modes: kernel is a process not using Onload; the earlier names copy and zero-copy still load', () => {
    const load = (extra: string, nic = '') => {
      const f = tmp.file('modes.yaml');
      writeFileSync(f, `${base.replace('REC', recording)}${extra}${nic}`);
      return loadConfig(f);
    };
    expect(load('').subscribers[0]).toMatchObject({ receive: 'onload', onload: true });
    expect(load('    onload: false\n').subscribers[0]).toMatchObject({ receive: 'kernel', onload: false });
    expect(load('    receive: kernel\n').subscribers[0]).toMatchObject({ receive: 'kernel', onload: false });
    expect(load('    receive: copy\n').subscribers[0].receive).toBe('onload');
    expect(load('    receive: zero-copy\n').subscribers[0].receive).toBe('onload-zc');
    expect(load('    receive: offload\n', 'nic: { model: inic }\n').subscribers[0]).toMatchObject({ receive: 'offload', onload: true });
  });

  it('kernelSocket: native (recvmmsg batches, the default) or node (Node\'s dgram); anything else names the key', () => {
    const f = tmp.file('ks.yaml');
    writeFileSync(f, base.replace('REC', recording));
    expect(loadConfig(f).subscribers[0].kernelSocket).toBe('native');
    writeFileSync(f, `${base.replace('REC', recording)}    kernelSocket: node\n`);
    expect(loadConfig(f).subscribers[0].kernelSocket).toBe('node');
    expect(errorFor(`${base}    kernelSocket: fast\n`)).toMatch(/^bad\.yaml: subscribers\[0\]\.kernelSocket: expected one of native, node/);
  });

  it('a missing file, and JSON configs', () => {
    expect(() => loadConfig(tmp.file('absent.yaml'))).toThrow(/absent\.yaml: no such config file/);
    const f = tmp.file('ok.json', JSON.stringify({ recording, subscribers: [{ name: 'a', groups: ['239.100.1.1:26400'] }] }));
    expect(loadConfig(f).name).toBe('ok');
  });
});
