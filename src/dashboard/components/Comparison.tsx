import { Text } from 'ink';
import { pathColour, pathLetter, type Theme } from '../theme.js';
import type { ComparisonItem } from '../view-model.js';

/** Every subscriber's p50/p99 by path, on one line: bypass against kernel at a glance. */
export function Comparison({ items, theme }: { items: ComparisonItem[]; theme: Theme }) {
  return (
    <Text wrap="truncate">
      {' p50/p99'}
      {items.map((it) => (
        <Text key={`${it.name}${it.path}`}>
          {'  '}
          {it.name} <Text color={pathColour(theme, it.path)} bold>{pathLetter(it.path)}</Text> {it.p50}/{it.p99}
        </Text>
      ))}
    </Text>
  );
}
