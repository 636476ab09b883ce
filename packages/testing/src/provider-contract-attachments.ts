/**
 * The provider contract's attachment cases: a turn's image reaches the model as an image of exactly the file's
 * bytes (also in a follow-up pushed mid-turn), a file the model cannot take inline is named with its absolute
 * path, and an unreadable file never fails the turn.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AgentEvent, Attachment } from '@nanoclaw/core';
import { expect, it } from 'vitest';
import type { ProviderSuite } from './provider-contract.js';
import { collect, turnEnds } from './test-helpers.js';

/** A valid 1×1 PNG: runtimes that decode images (Codex) accept it and keep its bytes. */
export const CONTRACT_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const PDF = Buffer.from('%PDF-1.4\n%contract\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

/** Writes `bytes` at `ref` under `cwd` (as the host's inbox download does) and describes it as an attachment. */
function inboxFile(cwd: string, name: string, mimeType: string, bytes: Buffer | undefined): Attachment {
  const ref = `inbox/2026-12-07/42-${name}`;
  if (bytes) {
    fs.mkdirSync(path.join(cwd, path.dirname(ref)), { recursive: true });
    fs.writeFileSync(path.join(cwd, ref), bytes);
  }
  return { name, mimeType, sizeBytes: bytes?.length ?? 1234, ref };
}

export function attachmentCases(suite: ProviderSuite): void {
  const { start, timeout } = suite;
  it(
    'shows an image attachment to the model as those exact bytes, names a PDF by its absolute path, and runs despite a missing file',
    async () => {
      const { harness } = suite;
      harness.model.script('contract-image', { text: 'I see a pixel.' });
      const session = await start();
      const cwd = suite.lastCwd;
      const attachments = [
        inboxFile(cwd, 'photo.png', 'image/png', CONTRACT_PNG),
        inboxFile(cwd, 'scan.pdf', 'application/pdf', PDF),
        inboxFile(cwd, 'gone.png', 'image/png', undefined),
      ];
      const events = await collect(session.prompt({ text: 'contract-image', attachments }));

      expect(turnEnds(events)).toEqual([{ status: 'completed', text: 'I see a pixel.' }]);
      const request = harness.model.requests().find((r) => r.lastUserText.includes('contract-image'));
      expect(request, 'a model request for the turn').toBeDefined();
      expect(request?.images).toEqual([{ mediaType: 'image/png', bytes: CONTRACT_PNG }]);
      const pdfPath = path.join(fs.realpathSync(cwd), attachments[1]?.ref ?? '');
      expect(request?.body.includes(pdfPath), `the request names ${pdfPath}`).toBe(true);
      expect(request?.body.includes('42-gone.png'), 'the request names the missing file').toBe(true);
    },
    timeout,
  );

  it(
    'shows the image of a follow-up pushed mid-turn to the model',
    async () => {
      const { harness } = suite;
      harness.model.script('contract-busy', { text: 'Busy answer.', delayMs: 1_500 });
      harness.model.script('contract-late-image', { text: 'Late pixel seen.' });
      const session = await start();
      const photo = inboxFile(suite.lastCwd, 'late.png', 'image/png', CONTRACT_PNG);
      const events: AgentEvent[] = [];
      for await (const event of session.prompt({ text: 'contract-busy' })) {
        events.push(event);
        if (event.type === 'turn-start' && events.length === 1) {
          expect(session.push({ text: 'contract-late-image', attachments: [photo] })).toBe(true);
        }
      }

      expect(turnEnds(events).at(-1)).toEqual({ status: 'completed', text: 'Late pixel seen.' });
      const request = harness.model.requests().find((r) => r.lastUserText.includes('contract-late-image'));
      expect(request?.images).toEqual([{ mediaType: 'image/png', bytes: CONTRACT_PNG }]);
    },
    timeout,
  );
}
