export * from './release.js';
export * from './features.js';
export * from './mm-features.js';
