import { type AgentAction, type AgentToolName, agentActionSchema } from '@nanoclaw/core';

/** One agent tool as MCP lists it. */
export interface AgentToolDefinition {
  name: AgentToolName;
  description: string;
  inputSchema: Record<string, unknown>;
}

const DESCRIPTIONS: Record<AgentToolName, string> = {
  send_message:
    'Send a message to the chat now (default: the chat this run answers), e.g. a progress update, optionally with files from your group folder (attachments).',
  schedule_task: 'Schedule a prompt to run later: once at a time, on a cron expression, or every N ms.',
  list_tasks: 'List the scheduled tasks this group can see.',
  pause_task: 'Pause a scheduled task by id.',
  resume_task: 'Resume a paused scheduled task by id.',
  cancel_task: 'Cancel a scheduled task by id.',
  update_task: "Change a scheduled task's prompt or schedule.",
  register_group: 'Main group only: register a new agent group for a chat.',
  list_chats: 'List the chats known to the host, for register_group and send_message.',
  ask_user_question:
    'Ask the person you talk to a question with 2–10 answers (buttons or a numbered list) and wait for their choice (timeoutS: default 300, at most 3600); returns it, or a timeout.',
};

/** What this module needs of a variant, typed once: the union of the variants' `omit` overloads is not callable. */
interface ToolVariant {
  shape: { tool: { value: AgentToolName } };
  omit(mask: { tool: true }): { toJSONSchema(params: { io: 'input'; unrepresentable: 'any' }): unknown };
}

/** The agent's tools, one per variant of `agentActionSchema`, with a JSON Schema of its arguments. */
export const agentTools: readonly AgentToolDefinition[] = (
  agentActionSchema.options as readonly ToolVariant[]
).map(toDefinition);

function toDefinition(variant: ToolVariant): AgentToolDefinition {
  const name = variant.shape.tool.value;
  const { $schema: _ignored, ...inputSchema } = variant.omit({ tool: true }).toJSONSchema({
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return { name, description: DESCRIPTIONS[name], inputSchema };
}

export type ParsedToolCall = { ok: true; action: AgentAction } | { ok: false; error: string };

/** Validates a `tools/call` into an action: the tool name becomes the `tool` discriminator. */
export function parseToolCall(name: string, args: unknown): ParsedToolCall {
  const fields = typeof args === 'object' && args !== null && !Array.isArray(args) ? args : {};
  const parsed = agentActionSchema.safeParse({ ...fields, tool: name });
  if (parsed.success) return { ok: true, action: parsed.data };
  const issues = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || '(arguments)'}: ${issue.message}`,
  );
  return { ok: false, error: `invalid arguments for ${name}: ${issues.join('; ')}` };
}

export function isAgentToolName(name: string): name is AgentToolName {
  return agentTools.some((tool) => tool.name === name);
}
