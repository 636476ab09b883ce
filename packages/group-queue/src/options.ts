import { randomUUID } from 'node:crypto';
import {
  type FollowUpMode,
  type Logger,
  QUEUE_STORE_SPEC_VERSION,
  type QueueStore,
  silentLogger,
  type WorkPriority,
} from '@nanoclaw/core';
import { GroupQueueError } from './errors.js';
import { createMemoryQueueStore } from './memory-store.js';
import type { CollectOptions, GroupQueueOptions, GroupWorker, RetryOptions } from './types.js';

export const PRIORITIES: readonly WorkPriority[] = ['interactive', 'batch'];
export const FOLLOW_UP_MODES: readonly FollowUpMode[] = ['queue', 'interrupt', 'collect'];

export interface ResolvedRetry extends Required<RetryOptions> {}

export interface ResolvedCollect<I> {
  windowMs: number;
  maxWaitMs: number;
  merge: ((inputs: I[]) => I) | undefined;
}

export interface ResolvedOptions<P, I> {
  worker: GroupWorker<P, I>;
  store: QueueStore<P>;
  maxConcurrent: number;
  perGroupConcurrency: number;
  maxBatchConcurrent: number;
  batchShare: number;
  retry: ResolvedRetry;
  followUpMode: (groupKey: string) => FollowUpMode;
  collect: ResolvedCollect<I>;
  logger: Logger;
  random: () => number;
  now: () => number;
  createId: () => string;
}

/** Applies defaults and validates every option; throws `GroupQueueError('invalid-option')`. */
export function resolveOptions<P, I>(options: GroupQueueOptions<P, I>): ResolvedOptions<P, I> {
  if (typeof options?.worker !== 'function') invalid('worker must be a function');
  const maxConcurrent = positiveInt('maxConcurrent', options.maxConcurrent, 5);
  const maxBatchConcurrent = positiveInt(
    'maxBatchConcurrent',
    options.maxBatchConcurrent,
    Math.max(1, maxConcurrent - 1),
  );
  if (maxBatchConcurrent > maxConcurrent) {
    invalid(`maxBatchConcurrent (${maxBatchConcurrent}) must not exceed maxConcurrent (${maxConcurrent})`);
  }
  return {
    worker: options.worker,
    store: options.store ? supportedStore(options.store) : createMemoryQueueStore<P>(),
    maxConcurrent,
    perGroupConcurrency: positiveInt('perGroupConcurrency', options.perGroupConcurrency, 1),
    maxBatchConcurrent,
    batchShare: fraction('batchShare', options.batchShare, 0.2),
    retry: resolveRetry(options.retry ?? {}),
    followUpMode: resolveFollowUpMode(options.followUpMode),
    collect: resolveCollect(options.collect ?? {}),
    logger: options.logger ?? silentLogger,
    random: fn('random', options.random, Math.random),
    now: fn('now', options.now, Date.now),
    createId: fn('createId', options.createId, randomUUID),
  };
}

function resolveRetry(retry: RetryOptions): ResolvedRetry {
  const baseDelayMs = nonNegative('retry.baseDelayMs', retry.baseDelayMs, 5000);
  const maxDelayMs = nonNegative('retry.maxDelayMs', retry.maxDelayMs, 300_000);
  const factor = nonNegative('retry.factor', retry.factor, 2);
  if (factor < 1) invalid(`retry.factor must be at least 1, got ${factor}`);
  return {
    maxTries: positiveInt('retry.maxTries', retry.maxTries, 5),
    baseDelayMs,
    factor,
    maxDelayMs,
    jitter: fraction('retry.jitter', retry.jitter, 0.2),
  };
}

function resolveCollect<I>(collect: CollectOptions<I>): ResolvedCollect<I> {
  const windowMs = nonNegative('collect.windowMs', collect.windowMs, 1500);
  const maxWaitMs = nonNegative('collect.maxWaitMs', collect.maxWaitMs, Math.max(10_000, windowMs));
  if (collect.merge !== undefined && typeof collect.merge !== 'function') {
    invalid('collect.merge must be a function');
  }
  return { windowMs, maxWaitMs, merge: collect.merge };
}

function resolveFollowUpMode(
  mode: GroupQueueOptions<unknown, unknown>['followUpMode'],
): (groupKey: string) => FollowUpMode {
  if (mode === undefined) return () => 'queue';
  if (typeof mode === 'function') return mode;
  assertFollowUpMode(mode, 'invalid-option');
  return () => mode;
}

export function assertFollowUpMode(
  mode: unknown,
  code: 'invalid-option' | 'invalid-argument',
): asserts mode is FollowUpMode {
  if (!FOLLOW_UP_MODES.includes(mode as FollowUpMode)) {
    throw new GroupQueueError(
      code,
      `unknown follow-up mode ${JSON.stringify(mode)}: use one of ${FOLLOW_UP_MODES.join(', ')}`,
    );
  }
}

export function assertGroupKey(groupKey: unknown): asserts groupKey is string {
  if (typeof groupKey !== 'string' || groupKey.trim() === '') {
    throw new GroupQueueError(
      'invalid-group-key',
      `group key must be a non-empty string, got ${JSON.stringify(groupKey) ?? String(groupKey)}`,
    );
  }
}

export function assertPriority(priority: unknown): asserts priority is WorkPriority {
  if (!PRIORITIES.includes(priority as WorkPriority)) {
    throw new GroupQueueError(
      'invalid-priority',
      `unknown priority ${JSON.stringify(priority) ?? String(priority)}: use ${PRIORITIES.join(' or ')}`,
    );
  }
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) invalid(`${name} must be a positive integer, got ${value}`);
  return value;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    invalid(`${name} must be a finite number >= 0, got ${value}`);
  }
  return value;
}

function fraction(name: string, value: number | undefined, fallback: number): number {
  const result = nonNegative(name, value, fallback);
  if (result > 1) invalid(`${name} must be between 0 and 1, got ${result}`);
  return result;
}

function fn<T>(name: string, value: T | undefined, fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'function') invalid(`${name} must be a function`);
  return value;
}

/** Refuses a store written against another version of the queue store specification. */
function supportedStore<P>(store: QueueStore<P>): QueueStore<P> {
  const version: unknown = store.specificationVersion;
  if (version === QUEUE_STORE_SPEC_VERSION) return store;
  throw new GroupQueueError(
    'unsupported-store-version',
    `the queue store implements queue store specification version ${JSON.stringify(version)}, but this version of ` +
      `@nanoclaw/group-queue supports "${QUEUE_STORE_SPEC_VERSION}" only`,
  );
}

function invalid(message: string): never {
  throw new GroupQueueError('invalid-option', message);
}
