import type { SDKResultMessage } from '@anthropic-ai/claude-agent-sdk';
import { describe, expect, it } from 'vitest';
import { usageEventOf } from './usage.js';

const result = (usage: Record<string, unknown>) =>
  ({ type: 'result', subtype: 'success', usage }) as unknown as SDKResultMessage;

describe('usageEventOf', () => {
  it("maps the turn's result usage: cache writes count as input, cache reads as cached input", () => {
    expect(
      usageEventOf(
        't',
        result({
          input_tokens: 10,
          cache_creation_input_tokens: 90,
          cache_read_input_tokens: 900,
          output_tokens: 7,
        }),
      ),
    ).toEqual({ type: 'usage', turnId: 't', inputTokens: 100, cachedInputTokens: 900, outputTokens: 7 });
  });

  it('is undefined when the turn reached no model', () => {
    expect(usageEventOf('t', result({ input_tokens: 0, output_tokens: 0 }))).toBeUndefined();
    expect(usageEventOf('t', result({ input_tokens: -5, output_tokens: Number.NaN }))).toBeUndefined();
  });
});
