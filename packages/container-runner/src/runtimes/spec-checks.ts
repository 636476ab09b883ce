import type { SandboxSpec } from '@nanoclaw/core';
import { SandboxError } from '../errors.js';
import { hasControlCharacters } from '../path-utils.js';

/** Container names: what docker accepts, and safe as a file or cgroup name. */
export const SANDBOX_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LABEL_KEY = /^[a-zA-Z0-9][a-zA-Z0-9_.\-/]{0,127}$/;

/** Structural checks every runtime applies before building a command line. */
export function checkSpec(spec: SandboxSpec): void {
  const fail = (message: string): never => {
    throw new SandboxError('invalid-argument', `sandbox ${spec.name}: ${message}`);
  };
  if (!SANDBOX_NAME_PATTERN.test(spec.name)) fail('name must match [a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}');
  if (spec.command.length === 0) fail('command is empty');
  if (spec.command.some((arg) => arg.includes('\u0000'))) fail('command contains a NUL byte');
  if (!spec.cwd.startsWith('/') || hasControlCharacters(spec.cwd))
    fail('cwd must be an absolute sandbox path');
  const { uid, gid } = spec.user;
  if (
    !Number.isInteger(uid) ||
    !Number.isInteger(gid) ||
    uid <= 0 ||
    gid <= 0 ||
    uid > 2 ** 31 ||
    gid > 2 ** 31
  ) {
    fail('user must be a non-root uid/gid');
  }
  for (const [key, value] of Object.entries(spec.env)) {
    if (!ENV_KEY.test(key)) fail(`env name "${key}" is invalid`);
    if (value.includes('\u0000')) fail(`env ${key} contains a NUL byte`);
  }
  for (const [key, value] of Object.entries(spec.labels)) {
    if (!LABEL_KEY.test(key)) fail(`label "${key}" is invalid`);
    if (hasControlCharacters(value) || value.length > 256) fail(`label ${key} has an invalid value`);
  }
  const { memoryMb, cpus, pids } = spec.limits;
  if (!(memoryMb > 0) || !(cpus > 0) || !(pids > 0)) fail('limits must be positive');
}
