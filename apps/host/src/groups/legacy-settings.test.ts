import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCleanups } from '../host/test-utils/cleanups.js';
import { moveLegacySettings, SETTINGS_LAYOUT_MARKER } from './legacy-settings.js';

const cleanups = useCleanups();

function groupsDir(files: Record<string, string>): string {
  const dir = cleanups.scratch('nanoclaw-legacy-settings');
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

describe('moveLegacySettings', () => {
  it('moves each groups/<f>/container.json beside its folder once, then never again', () => {
    const dir = groupsDir({ 'work/container.json': '{"provider":"codex"}', 'main/AGENTS.md': '#' });
    expect(moveLegacySettings(dir)).toEqual({ moved: ['work'], ignored: [] });
    expect(fs.readFileSync(path.join(dir, 'work.container.json'), 'utf8')).toBe('{"provider":"codex"}');
    expect(fs.existsSync(path.join(dir, 'work', 'container.json'))).toBe(false);
    expect(fs.existsSync(path.join(dir, SETTINGS_LAYOUT_MARKER))).toBe(true);
    // What appears in a group folder later can only be the agent's: not moved, reported.
    fs.writeFileSync(path.join(dir, 'main', 'container.json'), '{"network":"full"}');
    expect(moveLegacySettings(dir)).toEqual({ moved: [], ignored: ['main'] });
    expect(fs.existsSync(path.join(dir, 'main.container.json'))).toBe(false);
  });

  it('keeps settings that already live beside the folder, and follows no symlink', () => {
    const dir = groupsDir({ 'a/container.json': '{"model":"old"}', 'a.container.json': '{"model":"new"}' });
    fs.mkdirSync(path.join(dir, 'b'));
    fs.symlinkSync('/etc/passwd', path.join(dir, 'b', 'container.json'));
    expect(moveLegacySettings(dir)).toEqual({ moved: [], ignored: ['a'] });
    expect(fs.readFileSync(path.join(dir, 'a.container.json'), 'utf8')).toBe('{"model":"new"}');
    expect(fs.existsSync(path.join(dir, 'b.container.json'))).toBe(false);
  });
});
