import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type ChannelLimits, errorMessage, silentLogger } from '@nanoclaw/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOutboundFileSpool, OutboundFileError, type OutboundFileSpool } from './outbound-file.js';

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
const TELEGRAM: ChannelLimits = {
  maxTextLength: 4096,
  attachments: true,
  maxAttachmentBytes: 50 * 1024 * 1024,
  typingIndicator: true,
};

describe('outbound file spool', () => {
  let root: string;
  let group: string;
  let spool: OutboundFileSpool;
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'outbound-file-'));
    group = path.join(root, 'group');
    await fs.mkdir(path.join(group, 'out'), { recursive: true });
    await fs.writeFile(path.join(group, 'out/chart.png'), PNG);
    spool = createOutboundFileSpool({ root: path.join(root, 'data/outbox-files'), logger: silentLogger });
  });
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  const send = (paths: string[], limits: ChannelLimits | undefined = TELEGRAM) =>
    spool.spool({ groupDir: group, paths, label: 'run-1', channel: 'telegram', limits });
  const refusal = async (paths: string[], limits?: ChannelLimits) => {
    const error = await send(paths, limits).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundFileError);
    return errorMessage(error);
  };

  it('copies the files into the spool, typed from their bytes, and the copy is what gets sent', async () => {
    await fs.writeFile(path.join(group, 'notes.txt'), 'hello');
    const [chart, notes] = await send(['out/chart.png', 'notes.txt']);
    expect(chart).toMatchObject({ name: 'chart.png', mimeType: 'image/png', sizeBytes: PNG.length });
    expect(notes).toMatchObject({ name: 'notes.txt', mimeType: 'text/plain', sizeBytes: 5 });
    expect(path.dirname(path.dirname(chart?.ref ?? ''))).toBe(spool.root);
    expect((await fs.stat(chart?.ref ?? '')).mode & 0o777).toBe(0o600);
    expect((await fs.stat(path.dirname(chart?.ref ?? ''))).mode & 0o777).toBe(0o700);
    // The agent changes (or swaps in a symlink for) its file after the send: the queued copy stays.
    await fs.rm(path.join(group, 'out/chart.png'));
    await fs.symlink('/etc/passwd', path.join(group, 'out/chart.png'));
    expect(await fs.readFile(chart?.ref ?? '')).toEqual(PNG);
  });

  it('types a file by its bytes, not its name, and keeps two files of one name apart', async () => {
    await fs.mkdir(path.join(group, 'b'));
    await fs.writeFile(path.join(group, 'b/chart.png'), '%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n');
    const sent = await send(['out/chart.png', 'b/chart.png']);
    expect(sent.map((a) => [a.name, a.mimeType])).toEqual([
      ['chart.png', 'image/png'],
      ['chart-2.png', 'application/pdf'],
    ]);
  });

  it('refuses symlinks (out of the folder or to a file inside), folders, FIFOs and missing files', async () => {
    await fs.writeFile(path.join(root, 'secret.txt'), 'host secret');
    await fs.symlink(path.join(root, 'secret.txt'), path.join(group, 'evil.txt'));
    await fs.symlink('out/chart.png', path.join(group, 'alias.png'));
    await fs.symlink(root, path.join(group, 'up'));
    execFileSync('mkfifo', [path.join(group, 'pipe')]);
    expect(await refusal(['evil.txt'])).toMatch(
      /^cannot send evil\.txt: "evil\.txt" is a symlink — nothing was sent$/,
    );
    expect(await refusal(['alias.png'])).toMatch(/alias\.png.*symlink/);
    expect(await refusal(['up/secret.txt'])).toMatch(/up\/secret\.txt.*symlink/);
    expect(await refusal(['out'])).toMatch(/out is not a regular file/);
    expect(await refusal(['pipe'])).toMatch(/pipe is not a regular file/);
    expect(await refusal(['../secret.txt'])).toMatch(/not a plain relative path inside the group folder/);
    expect(await refusal(['missing.png'])).toMatch(/missing\.png.*no such file in your group folder/);
  });

  it('refuses a file over the channel limit, naming both sizes, and keeps no copy', async () => {
    execFileSync('truncate', ['-s', String(60 * 1024 * 1024), path.join(group, 'out/chart.mp4')]);
    expect(await refusal(['out/chart.png', 'out/chart.mp4'])).toBe(
      'chart.mp4 is 60.0 MB; telegram bots can send files up to 50 MB — nothing was sent',
    );
    expect(await fs.readdir(spool.root).catch(() => [])).toEqual([]);
  });

  it('copies an empty file, and holds a channel without a stated limit to the host ceiling', async () => {
    await fs.writeFile(path.join(group, 'empty.txt'), '');
    const unstated: ChannelLimits = { maxTextLength: 4096, attachments: true, typingIndicator: true };
    const [empty] = await send(['empty.txt'], unstated);
    expect(empty).toMatchObject({ name: 'empty.txt', sizeBytes: 0 });
    execFileSync('truncate', ['-s', String(2 * 1024 ** 3 + 1), path.join(group, 'huge.bin')]);
    expect(await refusal(['huge.bin'], unstated)).toBe(
      'huge.bin is 2.0 GB; this host sends files up to 2 GB — nothing was sent',
    );
  });

  it('refuses a chat that cannot receive files', async () => {
    expect(await refusal(['out/chart.png'], { ...TELEGRAM, attachments: false })).toMatch(
      /^this chat cannot receive files/,
    );
  });

  it('deletes a settled message’s files, and prunes folders older than the retention', async () => {
    const sent = await send(['out/chart.png']);
    await spool.release(sent);
    expect(await fs.readdir(spool.root)).toEqual([]);
    await spool.release([
      { name: 'x', mimeType: 'text/plain', sizeBytes: 1, ref: path.join(group, 'out/chart.png') },
    ]);
    expect(await fs.readFile(path.join(group, 'out/chart.png'))).toEqual(PNG);

    const waiting = await send(['out/chart.png']);
    await send(['out/chart.png']);
    expect(await spool.prune({ maxAgeMs: 60_000 })).toBe(0);
    const later = createOutboundFileSpool({
      root: spool.root,
      logger: silentLogger,
      now: () => Date.now() + 4 * 24 * 3600_000,
    });
    // A message still waiting to be sent keeps its files, however old.
    expect(await later.prune({ keep: waiting })).toBe(1);
    expect(await fs.readFile(waiting[0]?.ref ?? '')).toEqual(PNG);
    expect(await later.prune()).toBe(1);
    expect(await fs.readdir(spool.root)).toEqual([]);
  });
});
