// Per-container chores shared by every handler (functions/*): loading once, retrying a failed load, building on first read.
export { reusedUntilFailure } from './reused.js';
export { defineOnFirstRead } from './first-read.js';
