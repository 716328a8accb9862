/**
 * Channels: a feed is split by stock locate into channels, one multicast group (and one
 * MoldUDP64 session) each, as Nasdaq splits its UDP feeds.
 */
import { MdlabError, quote } from '../errors.js';
import { ipv4ToString, isMulticast, parseIpv4 } from './bytes.js';

export interface Channel {
  index: number;
  group: number;
  port: number;
  session: string;
  /** Inclusive stock-locate range carried by this channel. */
  locateFrom: number;
  locateTo: number;
}

export const DEFAULT_GROUP_BASE = '239.100.1.1';
export const DEFAULT_PORT = 26400;
/** A source address that no host here owns: the kernel drops replayed frames from a local one. */
export const FEED_SOURCE_ADDRESS = '198.18.0.10';
export const FEED_SOURCE_PORT = 26400;

/** `239.100.1.1:26400` → address and port, with a clear error for anything else. */
export function parseGroup(text: string, what = 'group'): { group: number; port: number } {
  const m = /^([0-9.]+):(\d+)$/.exec(text.trim());
  if (!m) throw new MdlabError(`${what} ${quote(text)}: expected ADDRESS:PORT, for example 239.100.1.1:26400`);
  const group = parseIpv4(m[1]);
  if (group === undefined) throw new MdlabError(`${what} ${quote(text)}: ${m[1]} is not an IPv4 address`);
  // Some tools read a leading zero as octal (010 = 8): refuse to guess which was meant.
  if (m[1].split('.').some((o) => o.length > 1 && o.startsWith('0'))) throw new MdlabError(`${what} ${quote(text)}: ${m[1]} has a leading zero (some tools read it as octal); write ${ipv4ToString(group)}`);
  if (!isMulticast(group)) throw new MdlabError(`${what} ${quote(text)}: ${m[1]} is not a multicast address (224.0.0.0 to 239.255.255.255)`);
  if (group >>> 8 === 0xe00000) throw new MdlabError(`${what} ${quote(text)}: ${m[1]} is in 224.0.0.0/24, link-local control traffic (IGMP, OSPF, mDNS), never a feed's group`);
  if (m[2].length > 1 && m[2].startsWith('0')) throw new MdlabError(`${what} ${quote(text)}: port ${m[2]} has a leading zero; write ${Number(m[2])}`);
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new MdlabError(`${what} ${quote(text)}: port ${m[2]} is out of range (1 to 65535)`);
  return { group, port };
}

export function formatGroup(group: number, port: number): string {
  return `${ipv4ToString(group)}:${port}`;
}

/** Session names per channel: 10 ASCII bytes, distinct per channel. */
export function channelSession(prefix: string, index: number): string {
  const suffix = String(index + 1).padStart(2, '0');
  return (prefix.slice(0, 10 - suffix.length) + suffix).padEnd(10, ' ').slice(0, 10);
}

/**
 * K channels over locates 1..locateMax, contiguous ranges, consecutive groups from `groupBase`
 * (239.100.1.1, .2, ...) on one port.
 */
export function makeChannels(count: number, locateMax: number, groupBase = DEFAULT_GROUP_BASE, port = DEFAULT_PORT, sessionPrefix = 'MDLAB'): Channel[] {
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new MdlabError(`channels must be 1 to 64, got ${count}`);
  const base = parseGroup(`${groupBase}:${port}`, 'group base');
  const per = Math.ceil(locateMax / count);
  const channels: Channel[] = [];
  for (let i = 0; i < count; i++) {
    const group = (base.group + i) >>> 0;
    if (!isMulticast(group)) throw new MdlabError(`group base ${groupBase} leaves the multicast range for channel ${i + 1}`);
    channels.push({
      index: i,
      group,
      port: base.port,
      session: channelSession(sessionPrefix, i),
      locateFrom: i * per + 1,
      locateTo: i === count - 1 ? 0xffff : (i + 1) * per,
    });
  }
  return channels;
}

/** Channel index by locate (0..65535); locate 0 (market-wide messages) maps to -1: every channel. */
export function locateTable(channels: readonly Channel[]): Int16Array {
  const table = new Int16Array(65536).fill(0);
  for (const c of channels) for (let l = c.locateFrom; l <= Math.min(c.locateTo, 0xffff); l++) table[l] = c.index;
  table[0] = -1;
  return table;
}
