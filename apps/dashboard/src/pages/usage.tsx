/** Usage over the last 30 days: a chart of tokens per day, then per-provider and per-group tables. */
import { useMemo } from 'preact/hooks';
import { useApp, useRefetchOn } from '../context.js';
import { formatCount } from '../format.js';
import { Empty, LoadState, Page, TableRegion } from '../ui.js';
import { dailySeries, grandTotal, totalsBy, type UsageTotals } from '../usage-model.js';
import { useData } from '../use-data.js';
import { UsageChart } from './usage-chart.js';

const DAYS = 30;

export function UsagePage() {
  const { api } = useApp();
  const usage = useData(() => api.usage(DAYS), []);
  useRefetchOn((e) => e.type === 'run-end', usage.reload, 2000);
  const rows = usage.data?.usage;
  const series = useMemo(() => (rows ? dailySeries(rows, Date.now(), DAYS) : null), [rows]);
  return (
    <Page title="Usage" testId="usage-page">
      <p class="muted">Tokens of the last {DAYS} days (UTC), as the providers reported them.</p>
      <LoadState loading={usage.loading} error={usage.error} hasData={!!rows} what="the usage" />
      {rows && series && (
        <>
          <UsageChart series={series} />
          {rows.length === 0 && <Empty>No usage recorded in these {DAYS} days.</Empty>}
          <h2 id="usage-provider-title">By provider</h2>
          <TotalsTable
            label="Usage by provider"
            keyLabel="Provider"
            testId="usage-by-provider"
            totals={totalsBy(rows, 'provider')}
            all={grandTotal(rows)}
          />
          <h2 id="usage-group-title">By group</h2>
          <TotalsTable
            label="Usage by group"
            keyLabel="Group"
            testId="usage-by-group"
            totals={totalsBy(rows, 'folder')}
            all={grandTotal(rows)}
          />
        </>
      )}
    </Page>
  );
}

function TotalsTable(props: {
  label: string;
  keyLabel: string;
  testId: string;
  totals: UsageTotals[];
  all: UsageTotals;
}) {
  return (
    <TableRegion label={props.label} testId={props.testId}>
      <thead>
        <tr>
          <th scope="col">{props.keyLabel}</th>
          <th scope="col" class="num">
            Input tokens
          </th>
          <th scope="col" class="num">
            Cached input
          </th>
          <th scope="col" class="num">
            Output tokens
          </th>
          <th scope="col" class="num">
            Total
          </th>
        </tr>
      </thead>
      <tbody>
        {props.totals.map((t) => (
          <TotalsRow key={t.key} totals={t} testId="usage-row" />
        ))}
      </tbody>
      <tfoot>
        <TotalsRow totals={{ ...props.all, key: 'All' }} testId="usage-total" />
      </tfoot>
    </TableRegion>
  );
}

function TotalsRow(props: { totals: UsageTotals; testId: string }) {
  const t = props.totals;
  return (
    <tr data-testid={props.testId} data-key={t.key}>
      <th scope="row">{t.key}</th>
      <td class="num">{formatCount(t.inputTokens)}</td>
      <td class="num">{formatCount(t.cachedInputTokens)}</td>
      <td class="num">{formatCount(t.outputTokens)}</td>
      <td class="num">{formatCount(t.inputTokens + t.outputTokens)}</td>
    </tr>
  );
}
