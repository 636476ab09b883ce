import fs from 'node:fs/promises';
import path from 'node:path';
import { type AuthenticationState, BufferJSON, initAuthCreds, proto, type SignalDataTypeMap } from 'baileys';

export const AUTH_DIR_MODE = 0o700;
export const AUTH_FILE_MODE = 0o600;

export interface SecureAuthState {
  state: AuthenticationState;
  /** Writes the credentials (call on `creds.update`). */
  saveCreds(): Promise<void>;
  /** Deletes every file of this auth state (after a logout: the next start pairs anew). */
  clear(): Promise<void>;
  /** True when credentials were found on disk (the device is paired, or was). */
  readonly existed: boolean;
}

/**
 * Baileys multi-device auth state in one folder, like `useMultiFileAuthState`, but the folder is 0700 and every
 * file 0600 (existing ones are tightened on open): the keys there are a full login to the WhatsApp account.
 * Writes go through a temp file and a rename, serialised per file, so a crash never leaves half a JSON file.
 */
export async function useSecureAuthState(folder: string): Promise<SecureAuthState> {
  await fs.mkdir(folder, { recursive: true, mode: AUTH_DIR_MODE });
  await tightenModes(folder);
  const locks = new Map<string, Promise<unknown>>();
  const locked = <T>(file: string, task: () => Promise<T>): Promise<T> => {
    const previous = locks.get(file) ?? Promise.resolve();
    const next = previous.then(task, task);
    locks.set(
      file,
      next.catch(() => {}),
    );
    return next;
  };
  const fileFor = (name: string) => path.join(folder, safeFileName(name));
  const write = (name: string, data: unknown) =>
    locked(name, async () => {
      const target = fileFor(name);
      const temp = `${target}.${process.pid}.tmp`;
      await fs.writeFile(temp, JSON.stringify(data, BufferJSON.replacer), { mode: AUTH_FILE_MODE });
      await fs.chmod(temp, AUTH_FILE_MODE);
      await fs.rename(temp, target);
    });
  const read = (name: string) =>
    locked(name, async () => {
      try {
        return JSON.parse(await fs.readFile(fileFor(name), 'utf8'), BufferJSON.reviver) as unknown;
      } catch {
        return null;
      }
    });
  const remove = (name: string) => locked(name, () => fs.rm(fileFor(name), { force: true }));

  const stored = await read('creds.json');
  const creds = (stored as AuthenticationState['creds'] | null) ?? initAuthCreds();
  return {
    existed: stored !== null,
    state: {
      creds,
      keys: {
        async get(type, ids) {
          const out: { [id: string]: SignalDataTypeMap[typeof type] } = {};
          await Promise.all(
            ids.map(async (id) => {
              let value = await read(`${type}-${id}.json`);
              if (type === 'app-state-sync-key' && value) {
                value = proto.Message.AppStateSyncKeyData.fromObject(value as Record<string, unknown>);
              }
              out[id] = value as SignalDataTypeMap[typeof type];
            }),
          );
          return out;
        },
        async set(data) {
          const tasks: Promise<unknown>[] = [];
          for (const [category, entries] of Object.entries(data)) {
            for (const [id, value] of Object.entries(entries ?? {})) {
              const name = `${category}-${id}.json`;
              tasks.push(value ? write(name, value) : remove(name));
            }
          }
          await Promise.all(tasks);
        },
      },
    },
    saveCreds: () => write('creds.json', creds),
    async clear() {
      await fs.rm(folder, { recursive: true, force: true });
      await fs.mkdir(folder, { recursive: true, mode: AUTH_DIR_MODE });
    },
  };
}

/** As Baileys names the files: `/` → `__`, `:` → `-`. */
function safeFileName(name: string): string {
  return name.replace(/\//g, '__').replace(/:/g, '-');
}

async function tightenModes(folder: string): Promise<void> {
  await fs.chmod(folder, AUTH_DIR_MODE);
  for (const entry of await fs.readdir(folder, { withFileTypes: true })) {
    if (entry.isFile()) await fs.chmod(path.join(folder, entry.name), AUTH_FILE_MODE);
  }
}
