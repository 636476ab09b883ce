import fs from 'node:fs';
import path from 'node:path';
import { createTempDirs } from '@nanoclaw/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { ToolRunRequest, ToolRunResult } from '../agent-pool/types.js';
import { createSandboxFfmpegConverter } from './sandbox-audio-converter.js';
import type { TranscriptionInput } from './transcriber.js';

const { tempDir, cleanupTempDirs } = createTempDirs('nanoclaw-sandbox-audio-');
afterEach(cleanupTempDirs);

function setup(): { groupDir: string; input: TranscriptionInput } {
  const groupDir = path.join(tempDir(), 'groups', 'family');
  const dir = path.join(groupDir, 'inbox', '2026-12-07');
  fs.mkdirSync(dir, { recursive: true });
  const hostPath = path.join(dir, '9-voice.ogg');
  fs.writeFileSync(hostPath, 'OggS voice');
  return {
    groupDir,
    input: { hostPath, group: { id: 'g7', folder: 'family' }, name: 'voice.ogg', mimeType: 'audio/ogg' },
  };
}

/** A sandbox that sees `groupDir` at /workspace/group and "converts" by writing a WAV where ffmpeg was told. */
function fakeSandbox(groupDir: string, answer: Partial<ToolRunResult> = {}) {
  const runs: ToolRunRequest[] = [];
  const runTool = async (request: ToolRunRequest): Promise<ToolRunResult> => {
    runs.push(request);
    const output = request.command.at(-1) as string;
    if ((answer.code ?? 0) === 0)
      fs.writeFileSync(path.join(groupDir, path.posix.relative('/workspace/group', output)), 'RIFF....WAVE');
    return { code: 0, output: '', timedOut: false, ...answer };
  };
  return { runs, runTool };
}

describe('createSandboxFfmpegConverter', () => {
  it('runs ffmpeg in the group’s sandbox on the inbox path it sees, and puts <file>.wav next to the original', async () => {
    const { groupDir, input } = setup();
    const sandbox = fakeSandbox(groupDir);
    const wav = await createSandboxFfmpegConverter({ runTool: sandbox.runTool }).toWav(input);
    expect(wav).toBe(`${input.hostPath}.wav`);
    expect(fs.readFileSync(wav, 'utf8')).toBe('RIFF....WAVE');
    const [run] = sandbox.runs;
    expect(run?.group).toEqual({ id: 'g7', folder: 'family' });
    expect(run?.command.slice(0, 2)).toEqual(['ffmpeg', '-nostdin']);
    expect(run?.command).toContain('/workspace/group/inbox/2026-12-07/9-voice.ogg');
    expect(run?.command.join(' ')).toContain('-ac 1 -ar 16000 -f wav');
    expect(run?.command.at(-1)).toMatch(
      /^\/workspace\/group\/inbox\/2026-12-07\/\.9-voice\.ogg\.[0-9a-f]+\.converting\.wav$/,
    );
    expect(fs.readdirSync(path.dirname(input.hostPath)).sort()).toEqual(['9-voice.ogg', '9-voice.ogg.wav']);
  });

  it('ffmpeg failing in the sandbox: its last words, and nothing left behind', async () => {
    const { groupDir, input } = setup();
    const sandbox = fakeSandbox(groupDir, {
      code: 1,
      output: 'x\n/workspace/group/inbox/9-voice.ogg: Invalid data found when processing input\n',
    });
    await expect(createSandboxFfmpegConverter({ runTool: sandbox.runTool }).toWav(input)).rejects.toThrow(
      'voice.ogg could not be converted to WAV: /workspace/group/inbox/9-voice.ogg: Invalid data found when processing input',
    );
    expect(fs.readdirSync(path.dirname(input.hostPath))).toEqual(['9-voice.ogg']);
  });

  it('a sandbox that cannot start: conversion is unavailable, with the reason', async () => {
    const { input } = setup();
    const runTool = async (): Promise<ToolRunResult> => {
      throw new Error('the agent userland is not ready: no sandbox has the tools yet');
    };
    await expect(createSandboxFfmpegConverter({ runTool }).toWav(input)).rejects.toThrow(
      'the transcription server refused voice.ogg and the sandbox to convert it did not start: the agent userland is not ready: no sandbox has the tools yet',
    );
  });

  it('a conversion the caller stops is cancelled, not a failure of the file', async () => {
    const { input } = setup();
    const abort = new AbortController();
    const runTool = async (request: ToolRunRequest): Promise<ToolRunResult> => {
      expect(request.signal).toBe(abort.signal);
      abort.abort();
      return { code: null, output: '', timedOut: false };
    };
    await expect(createSandboxFfmpegConverter({ runTool }).toWav(input, abort.signal)).rejects.toThrow(
      'the transcription was cancelled',
    );
    expect(fs.readdirSync(path.dirname(input.hostPath))).toEqual(['9-voice.ogg']);
  });
});
