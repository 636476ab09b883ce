import { ErrorCodes, ResponseError } from 'vscode-jsonrpc/node.js';

/** JSON-RPC error codes the runner answers with (in the implementation-defined server range). */
export const RunnerErrorCodes = {
  invalidParams: ErrorCodes.InvalidParams,
  providerNotInstalled: -32001,
  sessionStartFailed: -32002,
  noSession: -32003,
  runActive: -32004,
  sessionStarted: -32005,
  shuttingDown: -32006,
  runStartFailed: -32007,
} as const;

export type RunnerErrorCode = (typeof RunnerErrorCodes)[keyof typeof RunnerErrorCodes];

export function runnerError(code: RunnerErrorCode, message: string): ResponseError<void> {
  return new ResponseError(code, message);
}

/** `path: message; path: message` from zod issues, for an error a human can act on. */
export function formatIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .map((issue) => `${issue.path.map(String).join('.') || '(params)'}: ${issue.message}`)
    .join('; ');
}
