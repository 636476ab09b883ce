import type { Migration } from 'kysely';
import * as initial from './0001-initial.js';

/**
 * Every migration, in order. Names sort by their number; a new migration gets the next number and is never
 * edited after release.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001-initial': initial,
};
