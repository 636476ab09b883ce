import { randomUUID } from 'node:crypto';
import { AGENT_PROVIDER_SPEC_VERSION, type TurnInput } from '@nanoclaw/core';
import { directiveScript } from './directive-script.js';
import { isMockSessionNotFound, MockSessionNotFoundError } from './errors.js';
import { createMockSession, type MockConversation } from './mock-session.js';
import type {
  MockCall,
  MockProvider,
  MockProviderOptions,
  MockReply,
  MockStep,
  MockTurnContext,
} from './types.js';

/** Continuations this mock issues and accepts. */
export const MOCK_CONTINUATION_PREFIX = 'mock-';

/**
 * A deterministic, scripted `AgentProvider`. Without `reply`, the chat text steers it through directives
 * (`/tool`, `/sleep`, `/fail`, `/usage`, `/echo-env`, `/crash`); see the README.
 */
export function createMockProvider(options: MockProviderOptions = {}): MockProvider {
  const id = options.id ?? 'mock';
  const calls: MockCall[] = [];
  const conversations = new Map<string, MockConversation>();
  const resolveStep = createStepResolver(options.reply ?? directiveScript);
  const record = (call: MockCall) => calls.push(call);

  return {
    specificationVersion: AGENT_PROVIDER_SPEC_VERSION,
    id,
    calls,
    async startSession(sessionOptions) {
      const resume = sessionOptions.continuation;
      if (resume !== undefined && !resume.startsWith(MOCK_CONTINUATION_PREFIX)) {
        throw new MockSessionNotFoundError(resume);
      }
      const continuation = resume ?? `${MOCK_CONTINUATION_PREFIX}${randomUUID()}`;
      const conversation = conversations.get(continuation) ?? { turns: 0 };
      conversations.set(continuation, conversation);
      record({ type: 'session-start', continuation, resumed: resume !== undefined, options: sessionOptions });
      return createMockSession({
        provider: id,
        continuation,
        conversation,
        options: sessionOptions,
        resolveStep,
        record,
      });
    },
    isSessionInvalid: isMockSessionNotFound,
  };
}

/** The default instance: the directive script, id `mock`. */
export const mockProvider: MockProvider = createMockProvider();

type StepResolver = (input: TurnInput, ctx: MockTurnContext) => Promise<MockStep>;

function createStepResolver(reply: MockReply): StepResolver {
  if (typeof reply === 'string') return async () => ({ text: reply });
  if (typeof reply === 'function') return async (input, ctx) => toStep(await reply(input, ctx));
  const steps = reply;
  let next = 0;
  return async () => {
    const step = steps[next];
    if (step === undefined) {
      return {
        error: {
          message: `mock script exhausted after ${steps.length} replies`,
          code: 'mock-script-exhausted',
        },
      };
    }
    next++;
    return toStep(step);
  };
}

function toStep(value: MockStep | string): MockStep {
  return typeof value === 'string' ? { text: value } : value;
}
