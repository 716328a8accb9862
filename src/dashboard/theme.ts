/**
 * Colours, which only add to what letters already say (B bypass, K kernel, L lost): with NO_COLOR
 * set, or on a terminal without colour, every colour is dropped and the screen still reads.
 */
export interface Theme {
  bypass: string | undefined;
  kernel: string | undefined;
  lost: string | undefined;
  accent: string | undefined;
  dim: boolean;
  warning: string | undefined;
  border: string | undefined;
}

const COLOUR: Theme = { bypass: 'green', kernel: 'red', lost: 'magenta', accent: 'cyan', dim: true, warning: 'yellow', border: 'gray' };
const PLAIN: Theme = { bypass: undefined, kernel: undefined, lost: undefined, accent: undefined, dim: false, warning: undefined, border: undefined };

export function themeFor(env: NodeJS.ProcessEnv = process.env): Theme {
  return env.NO_COLOR !== undefined && env.NO_COLOR !== '' ? PLAIN : COLOUR;
}

export function pathColour(t: Theme, path: string): string | undefined {
  return path === 'bypass' ? t.bypass : path === 'kernel' ? t.kernel : path === 'lost' ? t.lost : undefined;
}

export function pathLetter(path: string): string {
  return path === 'bypass' ? 'B' : path === 'kernel' ? 'K' : path === 'lost' ? 'L' : '·';
}
