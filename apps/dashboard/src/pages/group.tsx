/** One group: its conversation (stored, then live), the message form, its configuration and its tasks. */
import { Page } from '../ui.js';
import { ConfigEditor } from './config-editor.js';
import { ConversationView } from './conversation-view.js';
import { GroupSummary } from './group-summary.js';
import { TaskList } from './task-list.js';

export function GroupPage(props: { folder: string }) {
  return (
    <Page title={`Group ${props.folder}`} testId="group-page">
      <p>
        <a href="#/">← All groups</a>
      </p>
      <GroupSummary folder={props.folder} />
      <h2 id="conversation-title">Conversation</h2>
      <ConversationView folder={props.folder} />
      <h2 id="config-title">Configuration</h2>
      <ConfigEditor folder={props.folder} />
      <h2 id="tasks-title">Tasks</h2>
      <TaskList folder={props.folder} />
    </Page>
  );
}
