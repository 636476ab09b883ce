import fs from 'node:fs';
import path from 'node:path';
import { type FakeSlack, startFakeSlack } from '@nanoclaw/channel-slack/test';
import { createFakeTelegramServer, type FakeTelegramServer } from '@nanoclaw/channel-telegram/test';
import { createFakeTranscriptionServer, type FakeTranscriptionServer, imagesOf } from '@nanoclaw/testing';
import { describe, expect, it } from 'vitest';
import type { HostClient } from '../cli/index.js';
import { resolveRuntimes, shellRuntimes } from './test-runtimes.js';
import { type SuiteProject, until, useSuiteProject, writeGroupSettings } from './test-utils/e2e-host.js';
import { type FakeModels, startFakeModels } from './test-utils/fake-models.js';

/**
 * Media with the real agents (issue 20), per runtime with default settings: a photo sent on Telegram and on Slack
 * lands in the group's inbox and reaches Codex's and Claude's model request as those bytes; the agent's shell
 * reads a PDF at the path it was given (`file`, `pdftotext` from the userland); a voice note is transcribed before
 * the turn (the endpoint refuses OGG, so it is converted with the userland's ffmpeg first) and the transcript is in
 * the model request; with the endpoint down the turn still runs and the user is told.
 */
const targets = await resolveRuntimes(shellRuntimes());

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAJ0lEQVR4nBWJwREAMBBEFLaFKUyByXkxAIdiCHPT2X6cHP1NrtPyAZrjEsFdgmbDAAAAAElFTkSuQmCC',
  'base64',
);
/** 0.3 s of a 440 Hz tone as Telegram's apps record a voice note: OGG/Opus, mono. */
const VOICE = Buffer.from(
  'T2dnUwACAAAAAAAAAADRDnDKAAAAAARmMq8BE09wdXNIZWFkAQE4AYC7AAAAAABPZ2dTAAAAAAAAAAAAANEOcMoBAAAAQPFx1AE+T3B1c1RhZ3MNAAAATGF2ZjU5LjI3LjEwMAEAAAAdAAAAZW5jb2Rlcj1MYXZjNTkuMzcuMTAwIGxpYm9wdXNPZ2dTAAR4OQAAAAAAANEOcMoCAAAAbhnaQRANFRMSEA8NEBAQDxMSEhAPCINtgtAc/epJ/gE/wAinGl2KmC5fWspQj0PpJrkNsG40QAihLxDkXfvcBAxIvcap4Y+Dh0AIoTjQdzKqVz3/XFtn7EHwh4AIoTjQdzKqXlgh3SiI4cNACKFIA0bVUnPaiQlRYtZYCKE40HcyqlwzVzYLOQihLxDkXfvcBvI+vXWEjBAIoTjQdzKqVr1bWvlXq15QCKE40Hcyqmb1W80andvvYgihLxDkXfvF3pCme/VaIAihONB3MqpWmfIYN7F5dcGmTNAIoTjQdzKqXlLMGuRYSjgAIXgIoTjQdzKqVr7yIHSBnXEvEIIIoTjQdzKqXqnVBoVxON2nCIOcAYqTahi4uH2gnhCI',
  'base64',
);
const TRANSCRIPT = 'Please buy oat milk and 12 eggs on the way home 4417.';
const PDF_TEXT = 'Invoice 7731 total 42 EUR';
const GROUPS = {
  codex: { settings: { provider: 'codex', model: 'fake-model' }, telegram: 7001, slack: 'C7001' },
  claude: { settings: { provider: 'claude', model: 'claude-fake' }, telegram: 7002, slack: 'C7002' },
} as const;
type Agent = keyof typeof GROUPS;

for (const target of targets) {
  describe.skipIf(!target.runtime)(
    `media with the real agents (${target.name})`,
    { timeout: 300_000 },
    () => {
      let project: SuiteProject;
      let models: FakeModels;
      let telegram: FakeTelegramServer;
      let slack: FakeSlack;
      let transcription: FakeTranscriptionServer;
      let client: HostClient;
      const groupDir = (agent: Agent) => path.join(project.root, 'groups', agent);
      const agentGroupPath = (agent: Agent) =>
        target.name === 'process' ? groupDir(agent) : '/workspace/group';

      useSuiteProject(
        `nanoclaw-media-agents-${target.name}`,
        target.runtime,
        async (suite, runtime) => {
          project = suite;
          models = suite.closing(await startFakeModels());
          telegram = suite.closing(await createFakeTelegramServer());
          slack = suite.closing(await startFakeSlack());
          // Like a whisper server built without ffmpeg: OGG is refused, WAV is transcribed.
          transcription = suite.closing(
            await createFakeTranscriptionServer({
              refuseFormats: ['ogg', 'oga'],
              transcribe: () => TRANSCRIPT,
            }),
          );
          for (const [agent, { settings }] of Object.entries(GROUPS))
            writeGroupSettings(suite.root, agent, settings);
          ({ client } = await suite.startHost(runtime, {
            ...models.env,
            TELEGRAM_BOT_TOKEN: telegram.token,
            TELEGRAM_API_ROOT: telegram.url,
            ...slack.env(),
            TRANSCRIBE_BASE_URL: transcription.baseUrl,
          }));
          for (const [agent, group] of Object.entries(GROUPS)) {
            await client.addGroup({
              folder: agent,
              name: agent,
              chat: { channel: 'telegram', chatId: String(group.telegram) },
            });
            await client.bindChat(agent, { channel: 'slack', chatId: group.slack });
          }
        },
        180_000,
      );

      /** Sends on Telegram and waits for the agent's answer; the texts the chat got (notices first). */
      async function onTelegram(agent: Agent, input: Parameters<FakeTelegramServer['injectMessage']>[0]) {
        const chatId = String(GROUPS[agent].telegram);
        const before = telegram.sent.filter((m) => m.chatId === chatId).length;
        const { message } = telegram.injectMessage(input);
        const answered = () => telegram.sent.filter((m) => m.chatId === chatId).slice(before);
        await until(() => answered().some((m) => !m.text.startsWith('I couldn')), 180_000);
        return { id: message.message_id, texts: answered().map((m) => m.text) };
      }

      /** The files of the group's inbox whose name ends with `suffix`, relative to the group folder. */
      const saved = (agent: Agent, suffix: string) =>
        fs
          .readdirSync(path.join(groupDir(agent), 'inbox'), { recursive: true })
          .map(String)
          .filter((file) => file.endsWith(suffix))
          .map((file) => path.join('inbox', file));

      /** Everything the agent's model fake received in the requests that carry `marker`. */
      function requestsWith(agent: Agent, marker: string): unknown[] {
        const requests: ReadonlyArray<{ body: unknown }> =
          agent === 'claude'
            ? models.anthropic.agentRequests()
            : models.responses.requests.filter((request) => request.kind === 'turn');
        const bodies = requests.map((r) => r.body).filter((body) => JSON.stringify(body).includes(marker));
        expect(bodies.length, `no ${agent} request carried "${marker}"`).toBeGreaterThan(0);
        return bodies;
      }

      const expectImageSent = (agent: Agent, marker: string) => {
        const images = requestsWith(agent, marker).flatMap((body) => imagesOf(body));
        expect(images.some((image) => image.bytes.equals(PNG))).toBe(true);
      };

      for (const agent of Object.keys(GROUPS) as Agent[]) {
        it(`${agent}: a photo on Telegram and on Slack lands in the inbox and reaches the model as those bytes`, async () => {
          const onTg = `photo on telegram for ${agent} ${target.name}`;
          const { id } = await onTelegram(agent, {
            chatId: GROUPS[agent].telegram,
            chatType: 'group',
            text: `@Andy ${onTg}`,
            photo: { content: PNG },
          });
          const [fromTelegram] = saved(agent, `${id}-photo-${id}.jpg.png`);
          expect(fs.readFileSync(path.join(groupDir(agent), fromTelegram ?? 'missing'))).toEqual(PNG);
          expectImageSent(agent, onTg);

          const onSlack = `photo on slack for ${agent} ${target.name}`;
          const posted = slack.posted.length;
          slack.inject({
            channel: GROUPS[agent].slack,
            text: onSlack,
            mention: true,
            files: [{ name: `chart-${agent}.png`, mimeType: 'image/png', content: PNG }],
          });
          await until(
            () => slack.posted.slice(posted).some((m) => m.channel === GROUPS[agent].slack),
            180_000,
          );
          const [fromSlack] = saved(agent, `chart-${agent}.png`);
          expect(fs.readFileSync(path.join(groupDir(agent), fromSlack ?? 'missing'))).toEqual(PNG);
          expectImageSent(agent, onSlack);
        });
      }

      it("a PDF: the agent's shell reads it at the path it was given (file, pdftotext)", async () => {
        const marker = `read the pdf ${target.name}`;
        const command = `cd ${agentGroupPath('codex')}/inbox/*/ && file -b *-invoice.pdf && pdftotext *-invoice.pdf -`;
        models.responses.on(marker, { exec: command, text: 'Read it.' });
        const { texts } = await onTelegram('codex', {
          chatId: GROUPS.codex.telegram,
          chatType: 'group',
          text: `@Andy ${marker}`,
          document: { name: 'invoice.pdf', mimeType: 'application/pdf', content: pdfWithText(PDF_TEXT) },
        });
        expect(texts).toEqual(['Read it.']);
        const [prompt] = requestsWith('codex', marker).map((body) => JSON.stringify(body));
        expect(prompt).toContain(`path=\\"${agentGroupPath('codex')}/inbox/`);
        const ran = models.responses.toolResults().find((result) => result.input.cmd === command);
        expect(ran?.commandOutput).toContain('PDF document');
        expect(ran?.commandOutput).toContain(PDF_TEXT);
      });

      it('a voice note: converted in the userland, transcribed, the transcript in the model request; then with the endpoint down the turn still runs and the user is told', async () => {
        const marker = `voice note ${target.name}`;
        const { id, texts } = await onTelegram('codex', {
          chatId: GROUPS.codex.telegram,
          chatType: 'group',
          text: `@Andy ${marker}`,
          voice: { content: VOICE },
        });
        expect(texts.filter((text) => text.startsWith('I couldn'))).toEqual([]);
        expect(saved('codex', `${id}-voice-${id}.ogg`)).toHaveLength(1);
        expect(transcription.requests.map((r) => [r.filename?.split('.').pop(), r.status])).toEqual([
          ['ogg', 400],
          ['wav', 200],
        ]);
        expect(JSON.stringify(requestsWith('codex', marker))).toContain(TRANSCRIPT);

        await transcription.close();
        const down = `voice while down ${target.name}`;
        const after = await onTelegram('codex', {
          chatId: GROUPS.codex.telegram,
          chatType: 'group',
          text: `@Andy ${down}`,
          voice: { content: VOICE },
        });
        expect(after.texts[0]).toMatch(/^I couldn't transcribe voice-\d+\.ogg: .*not reachable/);
        expect(after.texts).toHaveLength(2);
        expect(JSON.stringify(requestsWith('codex', down))).toContain('transcription failed');
      });
    },
  );
}

/** A one-page PDF whose page shows `text` (Helvetica), with a correct cross-reference table. */
function pdfWithText(text: string): Buffer {
  const content = `BT /F1 14 Tf 20 50 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 100] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets = objects.map((object, index) => {
    const offset = body.length;
    body += `${index + 1} 0 obj\n${object}\nendobj\n`;
    return offset;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}
