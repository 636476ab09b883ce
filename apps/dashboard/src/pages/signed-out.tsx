import { Page } from '../ui.js';

/** Shown on a 401 from `/auth/session`: how to sign in, and no data at all. */
export function SignedOutPage() {
  return (
    <Page title="Not signed in" testId="signed-out">
      <p>
        Not signed in: run <code>nanoclaw dashboard</code> in a terminal on the machine where the host runs.
        It prints a one-time sign-in link (and opens it when it can).
      </p>
      <p class="muted">A link works once and for 5 minutes; a host restart signs the browser out.</p>
    </Page>
  );
}
