import { z } from 'zod';
import { type ContainerConfig, containerConfigSchema } from './container-config.js';
import { groupFolderSchema, providerIdSchema } from './names.js';

export const GROUPS_SPEC_VERSION = 'v1' as const;

/** A group: one agent identity with its own folder, memory, sandbox and sessions. */
export const agentGroupSchema = z.strictObject({
  id: z.string().min(1),
  folder: groupFolderSchema,
  name: z.string().min(1).max(200),
  /** The main group sees all groups and tasks, may register groups and schedule for any group. */
  isMain: z.boolean(),
  /** Regular expression source; falls back to `@<ASSISTANT_NAME>`. The main group needs none. */
  trigger: z.string().max(200).nullable(),
  agentProvider: providerIdSchema.nullable(),
  containerConfig: containerConfigSchema.nullable(),
  createdAt: z.number().int(),
});
export type AgentGroup = Omit<z.infer<typeof agentGroupSchema>, 'containerConfig'> & {
  containerConfig: ContainerConfig | null;
};

/** A chat on some channel bound to a group. */
export const chatBindingSchema = z.strictObject({
  channel: z.string().min(1).max(64),
  accountId: z.string().min(1).max(128),
  chatId: z.string().min(1).max(256),
  groupId: z.string().min(1),
  name: z.string().max(200).nullable(),
  /** Only these sender ids may trigger the agent; null = everyone in the chat. */
  senderAllowlist: z.array(z.string()).nullable(),
});
export type ChatBinding = z.infer<typeof chatBindingSchema>;

/** A conversation with a group's agent. Continuations are kept per provider, so switching back resumes. */
export const sessionSchema = z.strictObject({
  id: z.string().min(1),
  groupId: z.string().min(1),
  /** `main` for the group's own session, or a thread key such as `telegram:123:thread-9`, or `task:<id>`. */
  key: z.string().min(1).max(512),
  /** Overrides the group's provider for this session only. */
  agentProvider: providerIdSchema.nullable(),
  /** Provider id → the provider's resume token (Codex thread id, Claude session id, ...). */
  continuations: z.record(z.string(), z.string()),
  createdAt: z.number().int(),
  lastActiveAt: z.number().int(),
});
export type Session = z.infer<typeof sessionSchema>;
