/** Helpers of this package's own tests (test-only by the workspace rules: never shipped). */
import { afterEach, expect } from 'vitest';

export interface ParsedSse<Data extends { type: string }> {
  event: string;
  data: Data;
}

/** Parses a whole SSE body, asserting every block is exactly `event: <type>\ndata: <json>`. */
export function parseSse<Data extends { type: string } = Record<string, unknown> & { type: string }>(
  text: string,
): ParsedSse<Data>[] {
  expect(text.endsWith('\n\n')).toBe(true);
  return text
    .slice(0, -2)
    .split('\n\n')
    .map((block) => {
      const match = /^event: (\S+)\ndata: (.+)$/.exec(block);
      expect(match, `malformed SSE block: ${JSON.stringify(block)}`).not.toBeNull();
      const data = JSON.parse(match![2]!) as Data;
      expect(data.type).toBe(match![1]);
      return { event: match![1]!, data };
    });
}

/** `start(options)` for a test module: each server it creates is closed after the test that made it. */
export function closedAfterEach<Options, Server extends { close(): Promise<void> }>(
  create: (options?: Options) => Promise<Server>,
): (options?: Options) => Promise<Server> {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  return async (options) => {
    const server = await create(options);
    servers.push(server);
    return server;
  };
}
