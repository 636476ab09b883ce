/**
 * Child process for the crash test: enqueues (unless told not to) and starts work on a real SQLite file,
 * prints `started <id> <tries>` when a try starts and `ready` once everything is enqueued, and hangs until
 * the parent kills it with SIGKILL.
 * Usage: node --import tsx crash-child.ts <db-file> [enqueue <id>...]
 */
import { createSqliteQueueStore, openDatabase } from '@nanoclaw/db';
import { createGroupQueue } from '../group-queue.js';

const [file, command, ...ids] = process.argv.slice(2);
if (!file) throw new Error('usage: crash-child.ts <db-file> [enqueue <id>...]');
const handle = await openDatabase({ path: file });
const queue = createGroupQueue<{ id: string }>({
  store: createSqliteQueueStore(handle),
  worker: ({ item, tries }) => {
    process.stdout.write(`started ${item.id} ${tries}\n`);
    return new Promise<void>(() => {});
  },
});
await queue.ready();
if (command === 'enqueue') {
  for (const id of ids) await queue.enqueue('crash-group', { id }, { id });
}
process.stdout.write('ready\n');
setInterval(() => {}, 60_000);
