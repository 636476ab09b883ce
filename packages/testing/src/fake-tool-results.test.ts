import { describe, expect, it } from 'vitest';
import { collectToolResults, parseArguments, resultText } from './fake-tool-results.js';

interface Logged {
  call?: { callId: string; name: string; input: Record<string, unknown> };
  results: { callId: string; output: string; isError?: boolean }[];
}

const collect = (requests: Logged[]) =>
  collectToolResults(
    requests,
    (request) => request.call,
    (request) => request.results,
  );

describe('collectToolResults', () => {
  it('pairs each result with the call the fake made, once, in arrival order', () => {
    const a = { callId: 'a', name: 'exec_command', input: { cmd: 'echo a' } };
    const b = { callId: 'b', name: 'Bash', input: { command: 'exit 1' } };
    const results = collect([
      // A result for a call the fake has not made (yet): another server's, or the call comes later.
      { call: a, results: [{ callId: 'b', output: 'too early' }] },
      { call: b, results: [{ callId: 'a', output: 'a out' }] },
      {
        results: [
          { callId: 'a', output: 'a out' },
          { callId: 'b', output: 'b out', isError: true },
        ],
      },
      { results: [{ callId: 'zzz', output: 'foreign' }] },
    ]);
    expect(results).toEqual([
      { ...a, output: 'a out', requestIndex: 1 },
      { ...b, output: 'b out', isError: true, requestIndex: 2 },
    ]);
  });
});

describe('resultText and parseArguments', () => {
  it('reads string contents as they are and joins the text of content parts', () => {
    expect(resultText('plain')).toBe('plain');
    expect(
      resultText([
        { type: 'input_text', text: 'one' },
        { type: 'image', source: {} },
        { type: 'text', text: 'two' },
      ]),
    ).toBe('one\ntwo');
    expect(resultText(undefined)).toBe('');
  });

  it('parses JSON object arguments, anything else as {}', () => {
    expect(parseArguments('{"cmd":"ls"}')).toEqual({ cmd: 'ls' });
    expect(parseArguments('[1]')).toEqual({});
    expect(parseArguments('not json')).toEqual({});
  });
});
