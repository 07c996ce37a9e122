export * from './release.js';
export * from './features.js';
