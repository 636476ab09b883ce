import type { Migration } from 'kysely';
import * as initial from './0001-initial.js';
import * as people from './0002-people.js';

/**
 * Every migration, in order. Names sort by their number; a new migration gets the next number and is never
 * edited after release.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001-initial': initial,
  '0002-people': people,
};
