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
  ['?', 'help'],
  ['q', 'quit'],
];

export function Footer({ theme, done }: { theme: Theme; done: boolean }) {
  const keys = done ? KEYS.filter(([k]) => ['←/→', 'c', 'w', 'v', '?', 'q'].includes(k)) : KEYS;
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
