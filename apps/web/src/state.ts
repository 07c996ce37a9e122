/**
 * The page's whole state, kept in the URL's fragment so a link reproduces a comparison:
 * `#workload=munmap&pages=64&cpus=4&arch=x86,arm64,ppc&kernel=6.1`. Workload parameters are the
 * keys that are not the page's own; a scenario travels as `scenario=` (its YAML text).
 */
export interface PageState {
  workload: string;
  params: Record<string, string>;
  arches: string[];
  kernel: string;
  /** a scenario's YAML instead of a workload */
  scenario: string | null;
}

const OWN = new Set(['workload', 'arch', 'kernel', 'scenario']);

export const DEFAULT_STATE: PageState = { workload: 'munmap', params: { pages: '64', cpus: '4' }, arches: ['x86', 'arm64', 'ppc', 'riscv'], kernel: '', scenario: null };

export function parseHash(hash: string): PageState {
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  if (![...q.keys()].length) return structuredClone(DEFAULT_STATE);
  const params: Record<string, string> = {};
  for (const [k, v] of q) if (!OWN.has(k)) params[k] = v;
  return {
    workload: q.get('workload') ?? DEFAULT_STATE.workload,
    params,
    arches: splitArches(q.get('arch') ?? DEFAULT_STATE.arches.join(',')),
    kernel: q.get('kernel') ?? '',
    scenario: q.get('scenario'),
  };
}

/** `x86:pti=on,pcid=off,arm64` is two specs: a comma before a known architecture name starts one */
export function splitArches(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(',').filter(Boolean)) {
    if (/^(x86|arm64|ppc|riscv|generic|all)(:|$)/.test(part) || out.length === 0) out.push(part);
    else out[out.length - 1] += `,${part}`;
  }
  return out;
}

export function toHash(s: PageState): string {
  const q = new URLSearchParams();
  if (s.scenario !== null) q.set('scenario', s.scenario);
  else {
    q.set('workload', s.workload);
    for (const [k, v] of Object.entries(s.params)) if (v !== '') q.set(k, v);
  }
  q.set('arch', s.arches.join(','));
  if (s.kernel) q.set('kernel', s.kernel);
  return `#${q.toString()}`;
}
