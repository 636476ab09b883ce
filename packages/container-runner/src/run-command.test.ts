import { PassThrough } from 'node:stream';
import type { SandboxExit, SandboxProcess } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { runCommand, runPipeline, runSandboxToExit } from './run-command.js';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const sh = (script: string) => ['-c', script] as const;

describe('runCommand', () => {
  it('collects stdout and stderr, with only the env it is given', async () => {
    const result = await runCommand('sh', sh('echo "out $HOME"; echo err >&2; exit 3'), { env });
    expect(result).toMatchObject({ code: 3, stdout: 'out \n', stderr: 'err\n', timedOut: false });
  });

  it('passes stderr on line by line, a last line without a newline too, and keeps the tail it is asked to', async () => {
    const lines: string[] = [];
    const result = await runCommand('sh', sh('printf "one\\ntwo\\nthree" >&2; printf "%0500d" 0'), {
      env,
      keepLast: 10,
      onStderrLine: (line) => lines.push(line),
    });
    expect(lines).toEqual(['one', 'two', 'three']);
    expect(result.stdout).toBe('0'.repeat(10));
    expect(result.stderr).toBe('\ntwo\nthree');
  });

  it('stops the command when the signal aborts, and says so', async () => {
    const controller = new AbortController();
    const pending = runCommand('sleep', ['30'], { env, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect(await pending).toMatchObject({ code: null, signal: 'SIGTERM', aborted: true });
  });

  it('reports a command that cannot start', async () => {
    const result = await runCommand('/nonexistent/tool', [], { env });
    expect(result.code).toBeNull();
    expect(result.error?.message).toContain('ENOENT');
  });
});

describe('runPipeline', () => {
  it("streams the first command's stdout into the second and reports both exits", async () => {
    const lines: string[] = [];
    const [first, second] = await runPipeline(
      {
        file: 'sh',
        args: sh('echo progress >&2; seq 1 20000'),
        options: { env, onStderrLine: (l) => lines.push(l) },
      },
      { file: 'sh', args: sh('wc -l; exit 4'), options: { env } },
    );
    expect(first).toMatchObject({ code: 0, stdout: '' });
    expect(second).toMatchObject({ code: 4, stdout: '20000\n' });
    expect(lines).toEqual(['progress']);
  });

  it('ends the first command when the second stops reading', async () => {
    const started = Date.now();
    const [first, second] = await runPipeline(
      { file: 'sh', args: sh('while :; do echo y; done'), options: { env } },
      { file: 'sh', args: sh('head -c 10 >/dev/null; exit 2'), options: { env } },
      { timeoutMs: 20_000 },
    );
    expect(second.code).toBe(2);
    expect(first.timedOut).toBe(false);
    expect(first.code === 0 ? 'exit 0' : 'ended').toBe('ended');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('runSandboxToExit', () => {
  it("collects a sandbox's output until it exits, and stops it after the timeout", async () => {
    const fake = (exitAfterKill: boolean) => {
      let resolveExit: (exit: SandboxExit) => void = () => {};
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const proc: SandboxProcess = {
        name: 'build',
        stdin: new PassThrough(),
        stdout,
        stderr,
        exited: new Promise<SandboxExit>((resolve) => {
          resolveExit = resolve;
        }),
        kill: async () => {
          if (exitAfterKill) resolveExit({ code: null, signal: 'SIGKILL' });
        },
      };
      return { proc, stdout, stderr, exit: (code: number) => resolveExit({ code, signal: null }) };
    };
    const done = fake(false);
    const pending = runSandboxToExit(done.proc, { timeoutMs: 5_000 });
    done.stdout.write('built\n');
    done.stderr.write('warning\n');
    await new Promise((resolve) => setImmediate(resolve));
    done.exit(0);
    expect(await pending).toEqual({ code: 0, output: 'built\nwarning\n', timedOut: false });

    const stuck = fake(true);
    expect(await runSandboxToExit(stuck.proc, { timeoutMs: 50 })).toMatchObject({
      code: null,
      timedOut: true,
    });
  });
});
