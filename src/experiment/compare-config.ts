/**
 * What differs between two runs' configs, in the words a user wrote them: the NIC model, each
 * subscriber's Onload settings (EF_NAME, EF_POLL_USEC, the receive mode…), speeds, durations,
 * recovery, lines, events. Pure: two validated configs (summary.json's labConfig) in, a list of
 * differences out. Subscribers are matched by name, not by position.
 */
export interface ConfigDifference {
  key: string;
  a: string;
  b: string;
}

/** Words for the keys users see; the rest keep their own names. */
const LABELS: Readonly<Record<string, string>> = {
  'nic.name': 'NIC model', 'nic.replication': 'NIC multicast replication', filterTable: 'filter table', speed: 'speed', durationNs: 'duration',
  efName: 'EF_NAME', pollUsec: 'EF_POLL_USEC', intDriven: 'EF_INT_DRIVEN', dontAccelerate: 'EF_DONT_ACCELERATE', mcastRecv: 'EF_MCAST_RECV', onload: 'under Onload',
  receive: 'receive mode', work: 'work', delayNs: 'delay per packet', ring: 'ring slots', rcvbuf: 'rcvbuf', cpu: 'pinned CPU', groups: 'groups',
};

/** Keys that say where a run was, not what it was. */
const IGNORED = new Set(['file', 'name', 'description', 'nic.description', 'expect', 'sweep']);

function show(key: string, v: unknown): string {
  if (v === undefined) return 'absent';
  if (v === null) return key.endsWith('efName') ? '- (own stack)' : '-';
  if (typeof v === 'number' && /(Ns|delayNs|durationNs|timeoutNs|waitNs)$/.test(key)) return v >= 1e9 ? `${+(v / 1e9).toFixed(3)} s` : v >= 1e6 ? `${+(v / 1e6).toFixed(3)} ms` : `${+(v / 1e3).toFixed(3)} µs`;
  if (key === 'speed' && v === 0) return 'top';
  if (Array.isArray(v)) return v.length === 0 ? 'none' : v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function flatten(prefix: string, v: unknown, out: Map<string, unknown>): void {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) flatten(prefix ? `${prefix}.${k}` : k, x, out);
  } else out.set(prefix, v);
}

function label(key: string): string {
  const sub = /^subscribers\.([^.]+)\.(.+)$/.exec(key);
  if (sub) return `${sub[1]}: ${LABELS[sub[2]] ?? sub[2]}`;
  return LABELS[key] ?? key;
}

export function configDifferences(a: unknown, b: unknown): ConfigDifference[] {
  const norm = (c: unknown): Map<string, unknown> => {
    const out = new Map<string, unknown>();
    if (!c || typeof c !== 'object') return out;
    const { subscribers, groups, recording, ...rest } = c as Record<string, unknown>;
    flatten('', rest, out);
    // The recording by file name: two checkouts of one recording are the same recording.
    if (typeof recording === 'string') out.set('recording', recording.split('/').pop());
    out.set('groups', Array.isArray(groups) ? [...groups].sort() : groups);
    for (const s of Array.isArray(subscribers) ? subscribers : []) {
      const { name, ...settings } = s as Record<string, unknown>;
      flatten(`subscribers.${String(name)}`, settings, out);
    }
    return out;
  };
  const ma = norm(a);
  const mb = norm(b);
  const keys = [...new Set([...ma.keys(), ...mb.keys()])].filter((k) => !IGNORED.has(k) && !IGNORED.has(k.split('.')[0]));
  const out: ConfigDifference[] = [];
  for (const k of keys) {
    const x = show(k, ma.get(k));
    const y = show(k, mb.get(k));
    // A subscriber on one side only is one line, not one per setting.
    const sub = /^subscribers\.([^.]+)\./.exec(k);
    if (sub && (![...ma.keys()].some((z) => z.startsWith(`subscribers.${sub[1]}.`)) || ![...mb.keys()].some((z) => z.startsWith(`subscribers.${sub[1]}.`)))) {
      const key = `subscriber ${sub[1]}`;
      if (!out.some((d) => d.key === key)) out.push({ key, a: ma.has(k) ? 'present' : 'absent', b: mb.has(k) ? 'present' : 'absent' });
      continue;
    }
    if (x !== y) out.push({ key: label(k), a: x, b: y });
  }
  return out;
}
