import { useState } from 'preact/hooks';
import { Page } from '../ui.js';
import { TaskForm } from './task-form.js';
import { TaskList } from './task-list.js';

/** Tasks: the form that creates one (with its live preview), then every task. */
export function TasksPage() {
  const [reloadKey, setReloadKey] = useState(0);
  return (
    <Page title="Tasks" testId="tasks-page">
      <TaskForm onAdded={() => setReloadKey((k) => k + 1)} />
      <h2>All tasks</h2>
      <TaskList reloadKey={reloadKey} />
    </Page>
  );
}
