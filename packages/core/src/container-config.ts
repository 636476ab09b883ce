import { z } from 'zod';
import { envKeySchema, providerIdSchema } from './names.js';

export const CONTAINER_CONFIG_SPEC_VERSION = 'v1' as const;

/** A relative path inside the sandbox: no `..` segment, no `:` (Docker's -v separator), no leading `/`. */
const containerRelativePathSchema = z
  .string()
  .min(1)
  .max(255)
  .refine((value) => !value.startsWith('/') && !value.includes(':') && !value.split('/').includes('..'), {
    message: 'must be a relative path without ".." or ":"',
  });

export const additionalMountSchema = z.strictObject({
  /** Host path; `~` expands to the host user's home. Must sit under an allowlisted root. */
  hostPath: z.string().min(1).max(4096),
  /** Mounted at `/workspace/extra/<containerPath>`. */
  containerPath: containerRelativePathSchema,
  readonly: z.boolean().default(true),
});
export type AdditionalMount = z.infer<typeof additionalMountSchema>;

/**
 * How long one tool call of an MCP server may take, in ms (1 s to 24 h); default: the agent's own (Codex 60 s,
 * OpenCode 60 s, Claude Code about 28 h). Each provider maps it to its agent's per-server setting.
 */
export const mcpToolTimeoutMsSchema = z
  .number()
  .int()
  .min(1_000)
  .max(24 * 3_600_000);

/** What an MCP server tells the agent about its tools (at most 4,000 characters). */
export const mcpInstructionsSchema = z.string().min(1).max(4_000);

export const mcpServerConfigSchema = z.union([
  z.strictObject({
    type: z.literal('stdio').default('stdio'),
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(envKeySchema, z.string()).default({}),
    /** How long one tool call of this server may take (ms); default: the agent's own. */
    toolTimeoutMs: mcpToolTimeoutMsSchema.optional(),
    /** A short note on this server's tools, added to the agent's composed memory while the server is configured. */
    instructions: mcpInstructionsSchema.optional(),
  }),
  z.strictObject({
    type: z.literal('http'),
    url: z.url(),
    headers: z.record(z.string(), z.string()).default({}),
    /** How long one tool call of this server may take (ms); default: the agent's own. */
    toolTimeoutMs: mcpToolTimeoutMsSchema.optional(),
    /** A short note on this server's tools, added to the agent's composed memory while the server is configured. */
    instructions: mcpInstructionsSchema.optional(),
  }),
]);
export type McpServerConfig = z.infer<typeof mcpServerConfigSchema>;

export const resourceLimitsSchema = z.strictObject({
  memoryMb: z.number().int().min(64).max(262_144).default(1024),
  cpus: z.number().positive().max(256).default(1),
  pids: z.number().int().min(16).max(65_536).default(512),
});
export type ResourceLimits = z.infer<typeof resourceLimitsSchema>;

export const timeoutsSchema = z.strictObject({
  /** A turn that runs longer ends with an error event. */
  turnMs: z
    .number()
    .int()
    .min(1_000)
    .max(24 * 3_600_000)
    .default(15 * 60_000),
  /** An idle sandbox is closed after this long without work. */
  idleMs: z
    .number()
    .int()
    .min(1_000)
    .max(24 * 3_600_000)
    .default(30 * 60_000),
  /** No heartbeat from the runner for this long: the run is considered dead. */
  heartbeatMs: z.number().int().min(1_000).max(3_600_000).default(30_000),
});
export type Timeouts = z.infer<typeof timeoutsSchema>;

/**
 * What the agent's own tools may reach (its model always goes through the host's egress proxy): `full` (the
 * default) the public internet through that proxy, `none` nothing else; `proxy` is the old name of `none`.
 */
export const networkModeSchema = z.enum(['full', 'proxy', 'none']);
export type NetworkMode = z.infer<typeof networkModeSchema>;

/** A Debian package name as apt takes it (never an option, a path or a URL). */
export const aptPackageNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.+-]*$/, { message: 'must be a Debian package name (lower case, digits, ".+-")' })
  .max(128);

/**
 * An npm package: a name (`semver`, `@scope/name`) with an optional version or range (`semver@7`). No URLs,
 * paths, git or tarball specs.
 */
export const npmPackageSpecSchema = z
  .string()
  .regex(/^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]{0,213}(?:@[0-9A-Za-z.^~<>=*|+ -]{1,64})?$/, {
    message: 'must be an npm package name with an optional @version',
  });

/** Extra software for one group's sandbox, built once as a cached layer on top of the agent userland. */
export const packagesSchema = z
  .strictObject({
    apt: z.array(aptPackageNameSchema).max(20, { message: 'at most 20 apt packages' }).default([]),
    npm: z.array(npmPackageSpecSchema).max(20, { message: 'at most 20 npm packages' }).default([]),
  })
  .refine((value) => value.apt.length + value.npm.length <= 20, {
    message: 'at most 20 packages in all (apt and npm together)',
  });
export type GroupPackages = z.infer<typeof packagesSchema>;

/** How input that arrives while the group's run is active is handed to it. */
export const followUpModeSchema = z.enum(['queue', 'interrupt', 'collect']);
export type FollowUpMode = z.infer<typeof followUpModeSchema>;

/** A skill's folder name under `groups/global/skills/` or `groups/<folder>/skills/`. */
export const skillNameSchema = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/, {
  message: 'must be a skill folder name (letters, digits, "_.-")',
});

/** Which skills a group's agent gets: `"all"` (global and the group's own) or the named ones (`[]` = none). */
export const groupSkillsSchema = z.union([z.literal('all'), z.array(skillNameSchema).max(200)]);
export type GroupSkills = z.infer<typeof groupSkillsSchema>;

export const reasoningEffortSchema = z.enum(['minimal', 'low', 'medium', 'high', 'xhigh']);

/**
 * `groups/<folder>.container.json` (beside the folder, out of the agent's reach): everything about how one group's agent runs.
 * Unknown keys are an error, so a typo never silently does nothing.
 */
export const containerConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  provider: providerIdSchema.optional(),
  model: z.string().min(1).max(200).optional(),
  reasoningEffort: reasoningEffortSchema.optional(),
  /** Literal, non-secret env values for the sandbox. Secrets come only through provider allowlists. */
  env: z.record(envKeySchema, z.string().max(10_000)).default({}),
  additionalMounts: z.array(additionalMountSchema).max(32).default([]),
  timeouts: timeoutsSchema.default(timeoutsSchema.parse({})),
  limits: resourceLimitsSchema.default(resourceLimitsSchema.parse({})),
  /** Overrides the host's `@<ASSISTANT_NAME>` trigger for this group (a regular expression source). */
  trigger: z.string().min(1).max(200).optional(),
  network: networkModeSchema.default('full'),
  /** Extra MCP servers for the agent. `nanoclaw` is reserved for the agent's own tools. */
  mcpServers: z
    .record(
      z
        .string()
        .regex(/^[a-zA-Z0-9_-]{1,64}$/)
        .refine((name) => name !== 'nanoclaw', { message: '"nanoclaw" is reserved for the agent tools' }),
      mcpServerConfigSchema,
    )
    .default({}),
  followUpMode: followUpModeSchema.default('queue'),
  /** Debian and npm packages this group's sandbox gets on top of the userland (bwrap and docker). */
  packages: packagesSchema.default({ apt: [], npm: [] }),
  /** The skills the agent gets: `"all"` (the default) or a list of names; each must exist. */
  skills: groupSkillsSchema.default('all'),
});
export type ContainerConfig = z.infer<typeof containerConfigSchema>;
export type ContainerConfigInput = z.input<typeof containerConfigSchema>;
