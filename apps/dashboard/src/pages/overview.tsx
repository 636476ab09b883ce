/**
 * Overview: the runtime, every group (provider and where that choice came from, sandbox state, queue, last
 * error, config error) and the channel accounts. Live: any event on the shared stream refetches
 * `/api/v1/status` (coalesced to one request per 250 ms); there is no polling loop.
 */
import { useApp, useRefetchOn } from '../context.js';
import { formatTime } from '../format.js';
import { routeHref } from '../routes.js';
import type { GroupStatus, HostStatus } from '../types.js';
import { Empty, LoadState, Page, StateBadge, TableRegion } from '../ui.js';
import { useData } from '../use-data.js';

export function OverviewPage() {
  const { api } = useApp();
  const status = useData(() => api.status(), []);
  useRefetchOn(() => true, status.reload);
  const data = status.data;
  return (
    <Page title="Overview" testId="overview">
      <LoadState loading={status.loading} error={status.error} hasData={!!data} what="the host status" />
      {data && (
        <>
          <Runtime status={data} />
          <h2>Groups</h2>
          <GroupsTable groups={data.groups} />
          <h2>Channels</h2>
          <ChannelsTable channels={data.channels} />
        </>
      )}
    </Page>
  );
}

function Runtime({ status }: { status: HostStatus }) {
  const runtime = status.runtime;
  return (
    <p data-testid="runtime">
      Host {status.version}, up since {formatTime(status.startedAt)}. Sandbox runtime:{' '}
      {runtime.name !== null ? (
        <strong>
          {runtime.name} ({runtime.detail})
        </strong>
      ) : (
        <strong class="error-text">none: {runtime.error}</strong>
      )}
    </p>
  );
}

function GroupsTable({ groups }: { groups: GroupStatus[] }) {
  if (groups.length === 0) return <Empty>No groups yet: add one with `nanoclaw groups add`.</Empty>;
  return (
    <TableRegion label="Groups" testId="groups-table">
      <thead>
        <tr>
          <th scope="col">Group</th>
          <th scope="col">Provider</th>
          <th scope="col">Sandbox</th>
          <th scope="col">Queue</th>
          <th scope="col">Problems</th>
        </tr>
      </thead>
      <tbody>
        {groups.map((g) => (
          <tr key={g.folder} data-testid="group-row" data-folder={g.folder}>
            <th scope="row">
              <a href={routeHref({ page: 'group', folder: g.folder })}>{g.name || g.folder}</a>
              {g.name && g.name !== g.folder && <div class="muted small">{g.folder}</div>}
            </th>
            <td data-testid="group-provider">
              {g.provider.id} <span class="muted small">from {g.provider.source}</span>
            </td>
            <td data-testid="group-sandbox">
              <StateBadge
                state={g.sandbox ?? 'unknown'}
                good={g.sandbox === 'idle' || g.sandbox === 'busy'}
              />
            </td>
            <td data-testid="group-queue">
              {g.queued} queued, {g.running} running
            </td>
            <td>
              <GroupProblems group={g} />
            </td>
          </tr>
        ))}
      </tbody>
    </TableRegion>
  );
}

function GroupProblems({ group }: { group: GroupStatus }) {
  if (!group.configError && !group.lastError) return <span class="muted">none</span>;
  return (
    <>
      {group.configError && (
        <p class="error-text" data-testid="group-config-error">
          Config: {group.configError}
        </p>
      )}
      {group.lastError && (
        <p class="error-text" data-testid="group-last-error">
          Last error ({formatTime(group.lastError.at)}): {group.lastError.message}
        </p>
      )}
    </>
  );
}

function ChannelsTable({ channels }: { channels: HostStatus['channels'] }) {
  if (channels.length === 0) return <Empty>No channel accounts configured.</Empty>;
  return (
    <TableRegion label="Channel accounts" testId="channels-table">
      <thead>
        <tr>
          <th scope="col">Channel</th>
          <th scope="col">Account</th>
          <th scope="col">State</th>
          <th scope="col">Detail</th>
        </tr>
      </thead>
      <tbody>
        {channels.map((c) => (
          <tr key={`${c.channel}:${c.accountId}`} data-testid="channel-row">
            <th scope="row">{c.channel}</th>
            <td>{c.accountId}</td>
            <td>
              <StateBadge
                state={c.connected ? 'connected' : 'disconnected'}
                good={c.connected}
                bad={!c.connected}
              />
            </td>
            <td>{c.detail ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </TableRegion>
  );
}
