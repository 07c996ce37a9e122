// The part of js-yaml 4 that parseScenario uses (the package ships no type declarations).
declare module 'js-yaml' {
  export const CORE_SCHEMA: object;
  export function load(text: string, opts?: { schema?: object; filename?: string; json?: boolean }): unknown;
  export class YAMLException extends Error {
    reason: string;
    mark?: { line: number; column: number };
  }
}
