import type { Command } from 'commander';
import { registerServiceCommand, type ServiceDeps } from '../service/service-command.js';
import { createCliContext } from './cli-context.js';
import { registerApprovalsCommand } from './commands/approvals.js';
import { registerAuditCommand } from './commands/audit.js';
import { type ChannelsDeps, registerChannelsCommand } from './commands/channels.js';
import { registerChatCommand } from './commands/chat.js';
import { type DashboardDeps, registerDashboardCommand } from './commands/dashboard.js';
import { type DoctorDeps, registerDoctorCommand } from './commands/doctor.js';
import { registerGroupsCommand } from './commands/groups.js';
import { registerMessagesCommand } from './commands/messages.js';
import { registerRunsCommand } from './commands/runs.js';
import { registerSandboxCommand, type SandboxDeps } from './commands/sandbox.js';
import { registerSendCommand } from './commands/send.js';
import { registerSkillsCommand } from './commands/skills.js';
import { registerStatusCommand } from './commands/status.js';
import { registerTasksCommand } from './commands/tasks.js';
import { registerUsageCommand } from './commands/usage.js';
import { registerUsersCommand } from './commands/users.js';

export type CommandDeps = DoctorDeps & ServiceDeps & SandboxDeps & DashboardDeps & ChannelsDeps;

/**
 * Adds every command but `start` to the `nanoclaw` program: `status`, `doctor`, `groups`, `users`, `approvals`,
 * `audit`, `tasks`, `runs`, `send`, `chat`, `service`, `sandbox`, `skills`, `dashboard`, `usage`, `messages` and `channels`. They talk to the running host over its HTTP API (except `doctor`,
 * `service`, `skills` and `channels`, which work on files), reading the same configuration and `<dataDir>/api-token`. Exit codes: see `EXIT`.
 */
export function registerCommands(program: Command, deps: CommandDeps = {}): Command {
  const context = createCliContext(deps);
  registerStatusCommand(program, deps, context);
  registerDoctorCommand(program, deps, context);
  registerGroupsCommand(program, deps, context);
  registerUsersCommand(program, deps, context);
  registerApprovalsCommand(program, deps, context);
  registerAuditCommand(program, deps, context);
  registerTasksCommand(program, deps, context);
  registerRunsCommand(program, deps, context);
  registerSendCommand(program, deps, context);
  registerChatCommand(program, deps, context);
  registerServiceCommand(program, deps, context);
  registerSandboxCommand(program, deps, context);
  registerSkillsCommand(program, deps, context);
  registerDashboardCommand(program, deps, context);
  registerUsageCommand(program, deps, context);
  registerMessagesCommand(program, deps, context);
  registerChannelsCommand(program, deps, context);
  return program;
}
