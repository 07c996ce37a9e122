/**
 * Page-table entry encoding, one Int32 per entry:
 *   bit 0 present, bit 1 write, bit 2 accessed (young), bit 3 dirty, bit 4 exec,
 *   bit 5 leaf (a huge mapping at a non-pte level; pte-level entries are always leaves),
 *   bits 6..30 frame number (a data frame for leaves, the table's frame for table pointers).
 * Kept as plain integers so zapping a million PTEs allocates nothing.
 */
export const PTE_PRESENT = 1;
export const PTE_WRITE = 2;
export const PTE_YOUNG = 4;
export const PTE_DIRTY = 8;
export const PTE_EXEC = 16;
export const PTE_LEAF = 32;
export const PTE_FLAG_BITS = 6;
export const PTE_FLAGS_MASK = (1 << PTE_FLAG_BITS) - 1;
export const MAX_FRAMES = 1 << (31 - PTE_FLAG_BITS);

export function mkPte(frame: number, flags: number): number {
  return (frame << PTE_FLAG_BITS) | flags | PTE_PRESENT;
}
export function pteFrame(pte: number): number {
  return pte >>> PTE_FLAG_BITS;
}
export function ptePresent(pte: number): boolean {
  return (pte & PTE_PRESENT) !== 0;
}
