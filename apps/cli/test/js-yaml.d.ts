// The part of js-yaml 4 the tests use (the package ships no type declarations).
declare module 'js-yaml' {
  export function load(text: string): unknown;
}
