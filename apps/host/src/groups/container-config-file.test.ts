import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCleanups } from '../host/test-utils/cleanups.js';
import { readGroupSettings } from './container-config-file.js';

const cleanups = useCleanups();

/** A groups folder holding group `g` with `content` as its settings file (`g.container.json`, beside `g/`). */
function groupsWith(content: string | Buffer): string {
  const dir = cleanups.scratch('nanoclaw-config-file');
  fs.mkdirSync(path.join(dir, 'g'));
  fs.writeFileSync(path.join(dir, 'g.container.json'), content);
  return dir;
}

describe('readGroupSettings', () => {
  it('reads a valid file', async () => {
    const result = await readGroupSettings(groupsWith('{"model": "café"}'), 'g');
    expect(result.error).toBeNull();
    expect(result.config?.model).toBe('café');
  });

  it('names a file that is not UTF-8 instead of reading U+FFFD into a value', async () => {
    const bytes = Buffer.concat([Buffer.from('{"model": "caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    const result = await readGroupSettings(groupsWith(bytes), 'g');
    expect(result).toEqual({
      config: null,
      error: { file: 'g.container.json', key: '', message: 'is not valid UTF-8 (save it as UTF-8)' },
    });
  });

  it('never follows a symlink, and reads nothing inside the group folder', async () => {
    const dir = groupsWith('{}');
    fs.rmSync(path.join(dir, 'g.container.json'));
    fs.writeFileSync(path.join(dir, 'g', 'container.json'), '{"model": "from the agent"}');
    expect(await readGroupSettings(dir, 'g')).toEqual({ config: null, error: null });
    fs.symlinkSync('/etc/passwd', path.join(dir, 'g.container.json'));
    const linked = await readGroupSettings(dir, 'g');
    expect(linked.config).toBeNull();
    expect(linked.error?.message).toMatch(/cannot be read/);
  });
});
