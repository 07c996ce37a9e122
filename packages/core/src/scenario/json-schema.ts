/**
 * The JSON Schema of scenario files, generated from the zod schemas that validate them (one
 * source of truth), for editors: a YAML or JSON scenario with the schema named gets completion and
 * errors as it is typed. What JSON Schema cannot say (an op is an object with one key; sizes
 * such as "2M") is written here in its terms; the zod schemas stay the judge of what runs.
 */
import { z } from 'zod';
import { LIMITS, OP_NAMES, opSchemas, scenarioSchema } from './schema.js';

type Json = Record<string, unknown>;

/** addrSchema's input: a non-negative integer, "0x..." or a size with a unit. */
const ADDR: Json = {
  anyOf: [
    { type: 'integer', minimum: 0 },
    { type: 'string', pattern: '^\\s*(0[xX][0-9a-fA-F]+|[0-9]+)([kKmMgGtT][iI]?[bB]?)?\\s*$' },
  ],
  description: 'bytes: a number (4096), hexadecimal ("0x1000") or with a unit ("4K", "2M", "1GiB")',
};

const OP_DOC: Record<string, string> = {
  mmap: 'map memory into a process (do_mmap)',
  touch: 'a thread writes (or reads) pages: page faults',
  munmap: 'unmap a range (do_vmi_munmap)',
  madvise: 'MADV_DONTNEED, MADV_DONTNEED_LOCKED or MADV_FREE a range',
  mprotect: 'change the protection of a range',
  mremap: 'grow, shrink or move a mapping',
  fork: 'fork the process of a thread',
  exit: 'a thread exits (the last one tears the mm down)',
  exit_process: 'every thread of a process exits',
  sleep: 'a thread blocks (its CPU goes idle, lazily)',
  run: 'a thread is scheduled on a CPU',
  spawn: 'a new thread in a process',
  reclaim: "a kernel thread reclaims a file's pages (try_to_unmap)",
  gup_fast_begin: 'a lockless page-table walk starts on a CPU (interrupts off)',
  gup_fast_end: 'the walk ends',
};

/** Every `{anyOf: [number, string]}` (the input of addrSchema, with or without a refinement) as ADDR. */
function sizes(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(sizes);
  if (node === null || typeof node !== 'object') return node;
  const o = node as Json;
  const any = o.anyOf as Json[] | undefined;
  if (any?.length === 2 && any[0].type === 'number' && any[1].type === 'string') {
    const { anyOf: _, ...rest } = o;
    return { ...rest, $ref: '#/$defs/bytes' };
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, sizes(v)]));
}

function input(schema: z.ZodType): Json {
  const { $schema: _, ...s } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  return s;
}

/** The JSON Schema (2020-12) of a scenario file's document. */
export function scenarioJsonSchema(id: string): Json {
  const s = input(scenarioSchema);
  const props = s.properties as Record<string, Json>;
  // `seed` is refused (it has no effect): an editor should flag it like any unknown field
  delete (props.machine.properties as Json).seed;
  props.ops = {
    type: 'array',
    maxItems: LIMITS.ops,
    description: 'the operations, in order; each is an object with one key, the operation',
    items: {
      oneOf: OP_NAMES.map((op) => ({
        type: 'object',
        description: OP_DOC[op],
        required: [op],
        additionalProperties: false,
        properties: { [op]: input(opSchemas[op]) },
      })),
    },
  };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: id,
    title: 'tlbsim scenario file (tlbsim run, tlbsim check)',
    description: 'A machine, its files and processes, and the operations they perform (docs/scenarios.md). Generated from the zod schemas tlbsim validates scenarios with.',
    ...(sizes(s) as Json),
    $defs: { bytes: ADDR },
  };
}
