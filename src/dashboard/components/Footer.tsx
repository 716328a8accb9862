import { Text } from 'ink';
import type { Theme } from '../theme.js';

export const KEYS: readonly [string, string][] = [
  ['space', 'pause'],
  ['+/-', 'speed'],
  ['←/→', 'subscriber'],
  ['↑/↓', 'group'],
  ['c', 'clock'],
  ['w', 'window'],
  ['v', 'view'],
  ['l', 'leave'],
  ['j', 'join'],
  ['k', 'kill'],
  ['s', 'start'],
  ['e', 'export'],
  ['?', 'help'],
  ['q', 'quit'],
];

const cost = ([k, what]: readonly [string, string]) => 2 + k.length + what.length;

/** The hints that fit `width`, in order; `?` and `q` always, at the end. */
export function fittingKeys(width: number, done: boolean): (readonly [string, string])[] {
  const all = done ? KEYS.filter(([k]) => ['←/→', 'c', 'w', 'v', 'e', '?', 'q'].includes(k)) : KEYS;
  const always = all.filter(([k]) => k === '?' || k === 'q');
  let room = width - always.reduce((n, x) => n + cost(x), 0) - (done ? 16 : 0);
  const rest: (readonly [string, string])[] = [];
  for (const x of all) {
    if (x[0] === '?' || x[0] === 'q') continue;
    if (cost(x) > room) break;
    rest.push(x);
    room -= cost(x);
  }
  return [...rest, ...always];
}

export function Footer({ theme, done, width = 80 }: { theme: Theme; done: boolean; width?: number }) {
  const keys = fittingKeys(width, done);
  return (
    <Text wrap="truncate">
      {keys.map(([k, what]) => (
        <Text key={k}>
          {' '}
          <Text bold color={theme.accent}>{k}</Text> {what}
        </Text>
      ))}
      {done ? <Text dimColor={theme.dim}> · run finished</Text> : null}
    </Text>
  );
}
