import { describe, expect, it } from 'vitest';
import {
  formatConfig,
  friendlyKeyOf,
  friendlyValue,
  parseConfigText,
  setFriendlyValue,
} from './config-model.js';

describe('the config editor model', () => {
  it('accepts only a JSON object', () => {
    expect(parseConfigText('{"model": "x"}')).toEqual({ ok: true, value: { model: 'x' } });
    expect(parseConfigText('[1]')).toEqual({ ok: false, error: 'must be a JSON object ({ ... })' });
    const broken = parseConfigText('{"model": ');
    expect(broken.ok).toBe(false);
    expect(!broken.ok && broken.error).toMatch(/^not valid JSON: /);
  });

  it('reads and writes the friendly fields', () => {
    const config = { provider: 'codex', skills: ['notes', 'web'] };
    expect(friendlyValue(config, 'provider')).toBe('codex');
    expect(friendlyValue(config, 'skills')).toBe('notes, web');
    expect(friendlyValue(config, 'model')).toBe('');
    expect(setFriendlyValue(config, 'skills', 'all')).toEqual({ provider: 'codex', skills: 'all' });
    expect(setFriendlyValue(config, 'skills', ' a , b,,')).toEqual({ provider: 'codex', skills: ['a', 'b'] });
    expect(setFriendlyValue(config, 'skills', 'none')).toEqual({ provider: 'codex', skills: [] });
    expect(setFriendlyValue(config, 'provider', '')).toEqual({ skills: ['notes', 'web'] });
    expect(setFriendlyValue({}, 'model', ' gpt-5 ')).toEqual({ model: 'gpt-5' });
  });

  it('places a validation error by its field', () => {
    expect(friendlyKeyOf('skills')).toBe('skills');
    expect(friendlyKeyOf('skills.2')).toBe('skills');
    expect(friendlyKeyOf('provider')).toBe('provider');
    expect(friendlyKeyOf('mcpServers.notes.command')).toBeNull();
    expect(friendlyKeyOf(undefined)).toBeNull();
  });

  it('formats with two spaces and a final newline', () => {
    expect(formatConfig({ a: 1 })).toBe('{\n  "a": 1\n}\n');
  });
});
