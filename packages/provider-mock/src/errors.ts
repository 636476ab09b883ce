import { NanoclawError } from '@nanoclaw/core';

/** Thrown by `startSession` for a continuation the mock cannot resume; `isSessionInvalid` recognises it. */
export class MockSessionNotFoundError extends NanoclawError<'session-invalid'> {
  constructor(readonly continuation: string) {
    super('session-invalid', `mock session not found: ${JSON.stringify(continuation)}`);
    this.name = 'MockSessionNotFoundError';
  }
}

/** True for a `MockSessionNotFoundError`, also after it lost its class crossing a process boundary. */
export function isMockSessionNotFound(error: unknown): boolean {
  if (error instanceof MockSessionNotFoundError) return true;
  return error instanceof Error && error.message.startsWith('mock session not found');
}

/** A failure of an MCP server the mock talks to: spawn, protocol, or the server exiting. */
export class McpClientError extends NanoclawError<'mcp-failed'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('mcp-failed', message, options);
    this.name = 'McpClientError';
  }
}
