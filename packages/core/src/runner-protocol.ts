import { z } from 'zod';
import { mcpServerConfigSchema, reasoningEffortSchema } from './container-config.js';
import { providerIdSchema } from './names.js';
import { agentEventSchema, turnInputSchema } from './provider.js';
import { scheduleSchema } from './scheduler.js';

/**
 * The host ↔ agent-runner protocol: JSON-RPC 2.0 over the sandbox's stdio. The host drives the session; the
 * runner streams events and asks the host to act for the agent. The group is bound to the connection when the
 * host spawns the sandbox — no message names a group, so nothing the agent writes can claim another one.
 */
export const RUNNER_PROTOCOL_VERSION = 1 as const;

/** Requests the host sends to the runner. */
export const HostToRunner = {
  /** First call: the provider chosen by the host (one resolved provider, no split brain) and its options. */
  sessionStart: 'session/start',
  /** Starts a run; its events arrive as `run/event` notifications tagged with `runId`, then `run/end`. */
  runStart: 'run/start',
  /** Follow-up input for the active run. */
  runPush: 'run/push',
  runInterrupt: 'run/interrupt',
  sessionCompact: 'session/compact',
  /** Closes the provider; the runner exits after replying. */
  sessionClose: 'session/close',
} as const;

/** Notifications and requests the runner sends to the host. */
export const RunnerToHost = {
  /** Once, when the runner is up. */
  ready: 'runner/ready',
  /** Every few seconds, independent of the provider: proves the runner's event loop is alive. */
  heartbeat: 'runner/heartbeat',
  runEvent: 'run/event',
  runEnd: 'run/end',
  /** A request: the agent called one of its tools; the host authorizes it for the connection's group. */
  agentAction: 'agent/action',
} as const;

export const sessionStartParamsSchema = z.strictObject({
  protocolVersion: z.literal(RUNNER_PROTOCOL_VERSION),
  provider: providerIdSchema,
  cwd: z.string().min(1),
  continuation: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  reasoningEffort: reasoningEffortSchema.optional(),
  instructions: z.string().max(200_000).optional(),
  mcpServers: z.record(z.string(), mcpServerConfigSchema).default({}),
  /** Milliseconds between heartbeats. */
  heartbeatMs: z.number().int().min(100).max(600_000).default(5_000),
  /** A turn running longer ends with an `error` event (`code: 'timeout'`) and an interrupted `turn-end`. */
  turnTimeoutMs: z.number().int().min(100).max(86_400_000),
});
export type SessionStartParams = z.infer<typeof sessionStartParamsSchema>;

export const sessionStartResultSchema = z.strictObject({
  continuation: z.string().optional(),
  /** False when the stored continuation was invalid and a fresh session was started instead. */
  resumed: z.boolean(),
});
export type SessionStartResult = z.infer<typeof sessionStartResultSchema>;

export const runStartParamsSchema = z.strictObject({
  runId: z.string().min(1).max(128),
  input: turnInputSchema,
});
export type RunStartParams = z.infer<typeof runStartParamsSchema>;

export const runPushParamsSchema = z.strictObject({
  runId: z.string().min(1).max(128),
  input: turnInputSchema,
});
export const runPushResultSchema = z.strictObject({ accepted: z.boolean() });

export const runInterruptParamsSchema = z.strictObject({ runId: z.string().min(1).max(128).optional() });

/** JSON-RPC error codes the runner answers with (besides the standard -32600..-32603). */
export const RunnerErrorCode = {
  invalidParams: -32602,
  providerNotInstalled: -32001,
  sessionStartFailed: -32002,
  noSession: -32003,
  runActive: -32004,
  sessionAlreadyStarted: -32005,
  shuttingDown: -32006,
  runStartFailed: -32007,
} as const;

/** The MCP server name the runner uses for the agent's own tools; a group cannot configure it. */
export const AGENT_TOOLS_SERVER_NAME = 'nanoclaw' as const;

export const runEventParamsSchema = z.strictObject({ runId: z.string(), event: agentEventSchema });
export type RunEventParams = z.infer<typeof runEventParamsSchema>;

export const runEndParamsSchema = z.strictObject({
  runId: z.string(),
  /** The provider's resume token after the run, to store per session and provider. */
  continuation: z.string().optional(),
});
export type RunEndParams = z.infer<typeof runEndParamsSchema>;

export const readyParamsSchema = z.strictObject({
  protocolVersion: z.literal(RUNNER_PROTOCOL_VERSION),
  runnerVersion: z.string(),
  pid: z.number().int(),
});

export const heartbeatParamsSchema = z.strictObject({ at: z.number().int(), busy: z.boolean() });

/** The tools an agent has, served by the runner as MCP, each forwarded to the host as `agent/action`. */
export const agentActionSchema = z.discriminatedUnion('tool', [
  z.strictObject({
    tool: z.literal('send_message'),
    /** May be empty when `attachments` are given (a photo without a caption); the host refuses neither. */
    text: z
      .string()
      .max(100_000)
      .default('')
      .describe('The message text; may be empty when you send attachments (it becomes their caption).'),
    /** A chat bound to some group, as `channel:account:chat`; default: the chat the run answers. */
    chat: z.string().max(600).optional(),
    /**
     * Files to send with the text, each a path inside the group folder (relative to it, or absolute as the agent
     * sees it), delivered as the platform's photo, voice or document.
     */
    attachments: z
      .array(z.string().min(1).max(4096))
      .max(10)
      .optional()
      .describe(
        'Files in your group folder to send, e.g. /workspace/group/out/chart.png or out/chart.png (at most 10); sent as photo, voice note or document by their type.',
      ),
  }),
  z.strictObject({
    tool: z.literal('schedule_task'),
    prompt: z.string().min(1).max(100_000),
    schedule: scheduleSchema,
    timezone: z.string().max(64).optional(),
    contextMode: z.enum(['group', 'isolated']).optional(),
    /** Main group only: schedule for another group (by folder). */
    targetGroup: z.string().max(64).optional(),
  }),
  z.strictObject({ tool: z.literal('list_tasks') }),
  z.strictObject({ tool: z.literal('pause_task'), taskId: z.string().min(1).max(128) }),
  z.strictObject({ tool: z.literal('resume_task'), taskId: z.string().min(1).max(128) }),
  z.strictObject({ tool: z.literal('cancel_task'), taskId: z.string().min(1).max(128) }),
  z.strictObject({
    tool: z.literal('update_task'),
    taskId: z.string().min(1).max(128),
    prompt: z.string().min(1).max(100_000).optional(),
    schedule: scheduleSchema.optional(),
  }),
  z.strictObject({
    tool: z.literal('register_group'),
    folder: z.string().max(64),
    name: z.string().min(1).max(200),
    chat: z.string().max(600).optional(),
    trigger: z.string().max(200).optional(),
  }),
  z.strictObject({ tool: z.literal('list_chats') }),
  z.strictObject({
    tool: z.literal('ask_user_question'),
    question: z.string().min(1).max(2_000),
    /** 2 to 10 distinct answers, shown as buttons (or a numbered list where the chat has no buttons). */
    options: z.array(z.string().trim().min(1).max(80)).min(2).max(10),
    /** How long to wait for the answer (default 300 s, at most an hour). */
    timeoutS: z.number().int().min(10).max(3_600).optional(),
  }),
]);
export type AgentAction = z.infer<typeof agentActionSchema>;
export type AgentToolName = AgentAction['tool'];

export const agentActionResultSchema = z.union([
  z.strictObject({ ok: z.literal(true), result: z.unknown() }),
  z.strictObject({ ok: z.literal(false), error: z.string() }),
]);
export type AgentActionResult = z.infer<typeof agentActionResultSchema>;
