/**
 * Colours, which only add to what letters already say (B bypass, K kernel, O offload, L lost): with NO_COLOR
 * set, or on a terminal without colour, every colour is dropped and the screen still reads.
 */
export interface Theme {
  bypass: string | undefined;
  kernel: string | undefined;
  offload: string | undefined;
  lost: string | undefined;
  accent: string | undefined;
  dim: boolean;
  warning: string | undefined;
  border: string | undefined;
}

const COLOUR: Theme = { bypass: 'green', kernel: 'red', offload: 'blue', lost: 'magenta', accent: 'cyan', dim: true, warning: 'yellow', border: 'gray' };
const PLAIN: Theme = { bypass: undefined, kernel: undefined, offload: undefined, lost: undefined, accent: undefined, dim: false, warning: undefined, border: undefined };

export function themeFor(env: NodeJS.ProcessEnv = process.env): Theme {
  return env.NO_COLOR !== undefined && env.NO_COLOR !== '' ? PLAIN : COLOUR;
}

export function pathColour(t: Theme, path: string): string | undefined {
  return path === 'bypass' ? t.bypass : path === 'kernel' ? t.kernel : path === 'offload' ? t.offload : path === 'lost' ? t.lost : undefined;
}

export function pathLetter(path: string): string {
  return path === 'bypass' ? 'B' : path === 'kernel' ? 'K' : path === 'offload' ? 'O' : path === 'lost' ? 'L' : '·';
}
