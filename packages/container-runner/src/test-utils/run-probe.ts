import type { ContainerRuntime, SandboxSpec } from '@nanoclaw/core';

/**
 * Runs a probe fixture in a sandbox to its end and parses the JSON object on the last line of its stdout; a probe
 * that printed none fails with its exit code and stderr.
 */
export async function runJsonProbe<T>(runtime: ContainerRuntime, spec: SandboxSpec): Promise<T> {
  const proc = await runtime.spawn(spec);
  proc.stdin.end();
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  proc.stderr.setEncoding('utf8').on('data', (c: string) => {
    err += c;
  });
  const exit = await proc.exited;
  const line = out.trim().split('\n').pop() ?? '';
  if (!line.startsWith('{')) throw new Error(`probe printed nothing (exit ${exit.code}): ${err}`);
  return JSON.parse(line) as T;
}
