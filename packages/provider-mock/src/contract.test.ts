import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { INLINE_IMAGE_TYPES, sortAttachments } from '@nanoclaw/provider-utils';
import type { ContractReply, ContractRequest, FakeImage } from '@nanoclaw/testing';
import { providerContract } from '@nanoclaw/testing';
import { createMockProvider } from './mock-provider.js';
import type { MockStep } from './types.js';

/**
 * The mock has no model: its reply function plays the contract's scripted replies, keyed the same way, and sees a
 * turn's files as a vision model's request would carry them (images inline, other files named by path).
 */
providerContract({
  name: 'mock',
  bogusContinuation: () => 'not-a-mock-continuation',
  async setup() {
    const replies: { match: string; reply: ContractReply }[] = [];
    const requests: ContractRequest[] = [];
    /** The conversation each continuation has seen, so a resumed session's "request" carries its history. */
    const histories = new Map<string, string[]>();
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-mock-contract-'));
    const provider = createMockProvider({
      reply: async (input, ctx) => {
        const { native, text } = await sortAttachments(input, cwd, (a) => INLINE_IMAGE_TYPES.has(a.mimeType));
        const images: FakeImage[] = native.map((file) => ({
          mediaType: file.attachment.mimeType,
          bytes: fs.readFileSync(file.path),
        }));
        const history = histories.get(ctx.continuation) ?? [];
        history.push(text);
        histories.set(ctx.continuation, history);
        requests.push({ lastUserText: input.text, body: history.join('\n'), images });
        const found = [...replies].reverse().find((entry) => input.text.includes(entry.match));
        // A tool's result goes back to the "model" (the step's text function), as a follow-up request would.
        const followUp = (output: string) => {
          history.push(output);
          requests.push({ lastUserText: input.text, body: history.join('\n'), images: [] });
        };
        return toStep(found?.reply ?? { text: 'OK (mock: nothing scripted).' }, followUp);
      },
    });
    return {
      provider,
      model: {
        script: (match, reply) => replies.push({ match, reply }),
        requests: () => requests,
      },
      sessionOptions: () => ({ cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } }),
      teardown: async () => fs.rmSync(cwd, { recursive: true, force: true }),
    };
  },
});

function toStep(reply: ContractReply, followUp: (output: string) => void): MockStep {
  if ('error' in reply) return { error: { message: `HTTP ${reply.error.status}: ${reply.error.message}` } };
  if ('command' in reply) return { commands: [reply.command], text: reply.text };
  if ('mcp' in reply) {
    const { server, tool, arguments: args } = reply.mcp;
    return {
      toolCalls: [{ server, tool, args }],
      text: (results) => {
        for (const result of results) followUp(result.output);
        return reply.text;
      },
    };
  }
  return { text: reply.text, delayMs: reply.delayMs, usage: reply.usage };
}
