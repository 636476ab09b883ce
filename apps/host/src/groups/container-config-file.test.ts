import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readContainerConfig } from './container-config-file.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function groupWith(content: string | Buffer): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-config-file-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'container.json'), content);
  return dir;
}

describe('readContainerConfig', () => {
  it('reads a valid file', async () => {
    const result = await readContainerConfig(groupWith('{"model": "café"}'), 'g');
    expect(result.error).toBeNull();
    expect(result.config?.model).toBe('café');
  });

  it('names a file that is not UTF-8 instead of reading U+FFFD into a value', async () => {
    const bytes = Buffer.concat([Buffer.from('{"model": "caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    const result = await readContainerConfig(groupWith(bytes), 'g');
    expect(result).toEqual({
      config: null,
      error: { file: 'g/container.json', key: '', message: 'is not valid UTF-8 (save it as UTF-8)' },
    });
  });
});
