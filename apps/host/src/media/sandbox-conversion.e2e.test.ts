import fs from 'node:fs';
import path from 'node:path';
import { defaultSandboxUser, findHostBinary } from '@nanoclaw/container-runner';
import { bwrapAvailability, testBwrapRuntime } from '@nanoclaw/container-runner/test';
import { containerConfigSchema } from '@nanoclaw/core';
import { createFakeTranscriptionServer, createTempDirs, memoryLogger } from '@nanoclaw/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { SandboxPlacer } from '../agent-pool/sandbox-placement.js';
import { runToolSandbox } from '../agent-pool/tool-sandbox.js';
import { createTranscriber } from './openai-transcriber.js';
import { createSandboxFfmpegConverter } from './sandbox-audio-converter.js';
import { writeOpusNote } from './test-audio.js';

const { tempDir, cleanupTempDirs } = createTempDirs('nanoclaw-sandbox-conversion-');
afterEach(cleanupTempDirs);

const ffmpeg = await findHostBinary('ffmpeg', process.env.PATH);
const bwrap = await bwrapAvailability();
// The host's own Debian tree stands in for the agent userland (usr, etc, var and /usr/bin/node, as bwrap checks):
// building the real userland (mmdebstrap) is CI's job, and it holds the same Debian ffmpeg.
const hostTree = fs.existsSync('/usr/bin/node') && ffmpeg?.startsWith('/usr/');

describe.runIf(bwrap.ok && ffmpeg && hostTree)('a voice note converted in a bwrap sandbox', () => {
  it('ffmpeg runs as the sandbox user with only the group folder, and the endpoint gets the WAV', async () => {
    const root = tempDir();
    fs.chmodSync(root, 0o755);
    const groupsDir = path.join(root, 'groups');
    const inbox = path.join(groupsDir, 'family', 'inbox', '2026-12-07');
    fs.mkdirSync(inbox, { recursive: true, mode: 0o755 });
    const hostPath = path.join(inbox, '3-voice.ogg');
    writeOpusNote(ffmpeg as string, hostPath);
    const placer = { place: async () => ({ rootfs: '/', mounts: [] }) } as unknown as SandboxPlacer;
    const context = {
      runtime: testBwrapRuntime(),
      placer,
      user: defaultSandboxUser(),
      hostIsRoot: process.getuid?.() === 0,
      groupsDir,
      logger: memoryLogger([]),
    };
    const config = containerConfigSchema.parse({});
    const server = await createFakeTranscriptionServer({
      refuseFormats: ['ogg'],
      transcribe: ({ bytes }) => `wav of ${bytes.readUInt32LE(24)} Hz, ${bytes.readUInt16LE(22)} channel`,
    });
    try {
      const transcriber = createTranscriber(
        { baseUrl: server.baseUrl },
        {
          logger: memoryLogger([]),
          converter: createSandboxFfmpegConverter({
            runTool: (request) => runToolSandbox(context, config, request),
          }),
        },
      );
      const input = {
        hostPath,
        group: { id: 'g1', folder: 'family' },
        name: 'voice.ogg',
        mimeType: 'audio/ogg',
      };
      await expect(transcriber.transcribe(input)).resolves.toBe('wav of 16000 Hz, 1 channel');
      expect(fs.readdirSync(inbox).sort()).toEqual(['3-voice.ogg', '3-voice.ogg.wav']);
      // Written inside the sandbox, as its user (not the host's).
      expect(fs.statSync(`${hostPath}.wav`).uid).toBe(context.user.uid);
    } finally {
      await server.close();
    }
  }, 60_000);
});
