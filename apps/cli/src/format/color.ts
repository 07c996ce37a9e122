/**
 * Whether output is coloured: --color always|never, else (auto) the conventions other tools
 * follow: NO_COLOR set and non-empty turns it off (https://no-color.org), FORCE_COLOR turns it on
 * (FORCE_COLOR=0 or false off), TERM=dumb off, and otherwise only on a terminal. The escapes come
 * from picocolors.
 */
import pc from 'picocolors';

export type ColorMode = 'auto' | 'always' | 'never';
let mode: ColorMode = 'auto';

/** --color of the command being run (args.ts `parse` sets it). */
export function setColorMode(m: ColorMode): void {
  mode = m;
}

export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (mode !== 'auto') return mode === 'always';
  const nc = env.NO_COLOR;
  if (nc !== undefined && nc !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !['0', 'false'].includes(force.toLowerCase());
  if (env.TERM === 'dumb') return false;
  return !!stream.isTTY;
}

/** The painters for one output: each is the identity when colour is off. */
export function painters(on: boolean) {
  return pc.createColors(on);
}
