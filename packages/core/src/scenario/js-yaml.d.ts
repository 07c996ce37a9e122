// The part of js-yaml 4 that parseScenario (and the fuzz tests: dump) use (the package ships no type declarations).
declare module 'js-yaml' {
  export const CORE_SCHEMA: object;
  export function load(text: string, opts?: { schema?: object; filename?: string; json?: boolean }): unknown;
  export function dump(value: unknown, opts?: { noRefs?: boolean }): string;
  export class YAMLException extends Error {
    reason: string;
    mark?: { line: number; column: number };
  }
}
