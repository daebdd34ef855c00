// Per-container chores shared by every handler (functions/*): loading once, retrying a failed load.
export { reusedUntilFailure } from './reused.js';
