import { describe, expect, it } from 'vitest';
import { SAFE_NAME_MAX, safeFileName, uniqueNames } from './safe-file-name.js';

describe('safeFileName', () => {
  it('keeps an ordinary name', () => {
    expect(safeFileName('photo.jpg')).toBe('photo.jpg');
    expect(safeFileName('Квитанция 2026.pdf')).toBe('Квитанция_2026.pdf');
  });

  it('drops any directory part', () => {
    expect(safeFileName('../../etc/passwd')).toBe('passwd');
    expect(safeFileName('..\\..\\windows\\win.ini')).toBe('win.ini');
    expect(safeFileName('/abs/path/x.png')).toBe('x.png');
    expect(safeFileName('..')).toBe('file');
    expect(safeFileName('a/')).toBe('file');
  });

  it('removes control characters and bidi overrides', () => {
    expect(safeFileName('a\u0000b\nc.jpg')).toBe('abc.jpg');
    expect(safeFileName('\u202Egnp.exe')).toBe('gnp.exe');
    expect(safeFileName('x\u0085\u007fy.txt')).toBe('xy.txt');
  });

  it('removes leading dots and renames reserved names', () => {
    expect(safeFileName('.bashrc')).toBe('bashrc');
    expect(safeFileName('...hidden.txt')).toBe('hidden.txt');
    expect(safeFileName('CON.txt')).toBe('_CON.txt');
    expect(safeFileName('nul')).toBe('_nul');
  });

  it('collapses odd characters', () => {
    expect(safeFileName('my  file (1) <x>.pdf')).toBe('my_file_1_x_.pdf');
    expect(safeFileName('a;rm -rf $HOME.sh')).toBe('a_rm_-rf_HOME.sh');
  });

  it('caps a long name and keeps its extension', () => {
    const name = safeFileName(`${'a'.repeat(500)}.jpeg`);
    expect(name).toHaveLength(SAFE_NAME_MAX);
    expect(name.endsWith('.jpeg')).toBe(true);
  });

  it('never returns an empty name', () => {
    expect(safeFileName('')).toBe('file');
    expect(safeFileName('\u0000\u0001')).toBe('file');
    expect(safeFileName('', 'msg')).toBe('msg');
  });
});

describe('uniqueNames', () => {
  it('numbers duplicates before the extension', () => {
    expect(uniqueNames(['a.png', 'b', 'a.png', 'b'])).toEqual(['a.png', 'b', 'a-2.png', 'b-2']);
  });
});
