/**
 * Nanosecond costs used for `estimatedNs`. Counts are tlbsim's primary output; this is an
 * estimate. Each backend supplies cited defaults (core SPEC.md §11); users may override any.
 */
export interface CostModel {
  /** fixed cost of sending one IPI operation (initiator side) */
  ipiSend: number;
  /** added per receiving CPU (interrupt entry, handler, ack) */
  ipiPerTarget: number;
  /** per instruction mnemonic; a mnemonic not listed costs `defaultInstruction` */
  instructions: Record<string, number>;
  defaultInstruction: number;
  /** freeing one page / one page-table page back to the allocator */
  pageFree: number;
  tableFree: number;
  rcuCallback: number;
  /** where each default comes from */
  sources: Record<string, string>;
}

/** Every key of a CostModel, in declaration order (what a `cost` override may set). */
export const COST_MODEL_KEYS = [
  'ipiSend', 'ipiPerTarget', 'instructions', 'defaultInstruction', 'pageFree', 'tableFree', 'rcuCallback', 'sources',
] as const satisfies readonly (keyof CostModel)[];

export function withCostOverrides(base: CostModel, over?: Partial<CostModel>): CostModel {
  if (!over) return base;
  return {
    ...base,
    ...over,
    instructions: { ...base.instructions, ...(over.instructions ?? {}) },
    sources: { ...base.sources, ...(over.sources ?? {}) },
  };
}
