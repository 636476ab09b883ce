import type { NanoclawDatabase } from '@nanoclaw/db';

/** The kysely instance over the host's schema. A transaction fits too. */
export type HostDb = NanoclawDatabase['db'];
