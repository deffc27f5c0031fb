/**
 * The relay-audit dashboard: wires the filter form, the sections and the drill-down to the query
 * API. Each section loads on its own, so one failing request leaves the others usable.
 */
import './styles.css';
import { ApiClient, findingsQuery, loadConfig } from './api.js';
import type { AuthProblem, AuthSession } from './auth.js';
import { destroyChart } from './chart.js';
import { addDays, previousPeriod, shortDay, todayUtc } from './dates.js';
import { byId, formatCount, h } from './dom.js';
import { createDrilldown } from './drilldown.js';
import { findingRow, findingsStatus, PAGE_SIZE, visibleFindings } from './findings.js';
import { applyScenarioColours, renderOverview } from './overview.js';
import { renderReadiness } from './readiness.js';
import { SCENARIOS, SHORT_NAMES } from './scenarios.js';
import { sourcesTable } from './sources.js';
import { type Filters, filtersFromSearch, rangeProblem, searchFromFilters } from './state.js';
import { errorPanel, loadingNote } from './status.js';
import { renderTops } from './tops.js';
import type { DashboardConfig, Finding, ScenarioId, SourceSummary, Summary } from './types.js';
import { uploadPanel } from './upload.js';

const SOURCES_PAGE = 25;

const form = byId<HTMLFormElement>('filters');
const fromInput = byId<HTMLInputElement>('from');
const toInput = byId<HTMLInputElement>('to');
const scenarioSelect = byId<HTMLSelectElement>('scenario');
const senderInput = byId<HTMLInputElement>('senderDomain');
const recipientInput = byId<HTMLInputElement>('recipientDomain');
const filterError = byId('filter-error');
const onboarding = byId('onboarding');
const overviewBody = byId('overview-body');
const tops = byId('tops');
const activeFilters = byId('active-filters');
const searchInput = byId<HTMLInputElement>('q');
const exportLink = byId<HTMLAnchorElement>('export-csv');
const findingsStatusLine = byId('findings-status');
const findingsError = byId('findings-error');
const findingsBody = byId('findings-body');
const timeHeader = byId('time-header');
const sortArrow = byId('sort-arrow');
const sortLabel = byId('sort-label');
const loadMoreButton = byId<HTMLButtonElement>('load-more');
const sourcesBody = byId('sources-body');
const readinessBody = byId('readiness-body');
const sourcesMoreButton = byId<HTMLButtonElement>('sources-more');
const dataSections = ['overview', 'breakdown', 'findings'].map((id) => byId(id));

let api: ApiClient;
/** The cloud dashboard's sign-in; undefined locally (no `auth` in config.json). */
let session: AuthSession | undefined;
let filters: Filters = filtersFromSearch(window.location.search);
let summary: Summary | undefined;
let findings: Finding[] = [];
let findingsCursor: string | undefined;
let sources: SourceSummary[] = [];
let sourcesCursor: string | undefined;
/** Generation counters: a response to a superseded request is dropped. */
const generation = { overview: 0, findings: 0, sources: 0, readiness: 0 };

const drilldown = createDrilldown(byId<HTMLDialogElement>('finding-dialog'), () => writeUrl(false));

function writeUrl(push: boolean, findingId?: string): void {
  const url = `${window.location.pathname}${searchFromFilters(filters, findingId)}`;
  if (push) window.history.pushState(null, '', url);
  else window.history.replaceState(null, '', url);
}

function fillForm(): void {
  fromInput.value = filters.from;
  toInput.value = filters.to;
  scenarioSelect.value = filters.scenario ?? '';
  senderInput.value = filters.senderDomain ?? '';
  recipientInput.value = filters.recipientDomain ?? '';
  searchInput.value = filters.q;
  filterError.hidden = true;
}

function focusSection(id: string): void {
  const heading = byId(id);
  heading.scrollIntoView({ block: 'start' });
  heading.focus({ preventScroll: true });
}

/* ---------- overview ---------- */

function showStoreEmpty(empty: boolean, analysedFiles = 0): void {
  onboarding.hidden = !empty;
  for (const section of dataSections) section.hidden = empty;
  if (empty) {
    byId('onboarding-status').textContent =
      analysedFiles > 0
        ? `${formatCount(analysedFiles)} file${analysedFiles === 1 ? ' was' : 's were'} analysed (see Sources below) and no relay refusal was found in ${analysedFiles === 1 ? 'it' : 'them'}. Analyse logs from the days the refusals happened, or other servers.`
        : 'The store has no relay refusals to show yet. relay-audit reads message tracking logs and message trace exports, finds every refusal (550 5.7.64 TenantAttribution, 451 4.4.62) and says what to change.';
  }
}

async function loadOverview(): Promise<void> {
  const gen = ++generation.overview;
  const { from, to } = filters;
  overviewBody.setAttribute('aria-busy', 'true');
  overviewBody.replaceChildren(loadingNote('the overview'));
  try {
    const previous = previousPeriod(from, to);
    const [current, before] = await Promise.all([
      api.summary(from, to),
      api.summary(previous.from, previous.to),
    ]);
    if (gen !== generation.overview) return;
    summary = current;
    let notice: HTMLElement | undefined;
    if (current.total === 0) {
      // Empty period: is the whole store empty (a new user), or is the data elsewhere in time?
      const [latest, files] = await Promise.all([api.findings(new URLSearchParams(), 1), api.sources(1)]);
      if (gen !== generation.overview) return;
      const newest = latest.items[0];
      if (newest === undefined) {
        destroyChart();
        overviewBody.replaceChildren();
        showStoreEmpty(true, files.items.length);
        return;
      }
      notice = emptyRangeNotice(newest.timestamp.slice(0, 10));
    }
    showStoreEmpty(false);
    renderOverview(overviewBody, current, before, filters.scenario, { showScenario });
    if (notice) overviewBody.prepend(notice);
  } catch (error) {
    if (gen !== generation.overview) return;
    summary = undefined;
    destroyChart();
    overviewBody.replaceChildren(errorPanel(error, 'the overview', () => void loadOverview()));
  } finally {
    if (gen === generation.overview) overviewBody.removeAttribute('aria-busy');
  }
  drawTops();
}

function emptyRangeNotice(latestDay: string): HTMLElement {
  const from = addDays(latestDay, -29);
  return h(
    'div',
    { class: 'panel notice' },
    h(
      'p',
      {},
      `No refusals from ${shortDay(filters.from, true)} to ${shortDay(filters.to, true)}. The latest finding in the store is from ${shortDay(latestDay, true)}.`,
    ),
    h(
      'button',
      {
        class: 'primary',
        attrs: { type: 'button' },
        on: { click: () => applyFilters({ ...filters, from, to: latestDay }) },
      },
      `Show the 30 days up to ${shortDay(latestDay, true)}`,
    ),
  );
}

function drawTops(): void {
  if (summary === undefined && findings.length === 0) {
    tops.replaceChildren(h('p', { class: 'muted' }, 'Shown once the overview has loaded.'));
    return;
  }
  renderTops(tops, summary, findings, {
    filterSenderDomain: (domain) => {
      applyFilters({ ...filters, senderDomain: domain });
      focusSection('findings-heading');
    },
    showNullSender: () => showScenario('ndr'),
    search: (text) => {
      setSearch(text);
      focusSection('findings-heading');
    },
  });
}

function showScenario(scenario: ScenarioId): void {
  applyFilters({ ...filters, scenario });
  focusSection('findings-heading');
}

/* ---------- findings ---------- */

function describeFilters(): string {
  const parts = [
    filters.scenario ? `scenario ${SHORT_NAMES[filters.scenario]}` : 'all scenarios',
    filters.senderDomain ? `sender domain ${filters.senderDomain}` : undefined,
    filters.recipientDomain ? `recipient domain ${filters.recipientDomain}` : undefined,
    `${shortDay(filters.from, true)} to ${shortDay(filters.to, true)}`,
  ];
  return `Showing ${parts.filter(Boolean).join(' · ')}.`;
}

function renderFindings(): void {
  const rows = visibleFindings(findings, filters.q, filters.sort);
  findingsBody.replaceChildren(...rows.map((finding) => findingRow(finding, openFinding)));
  if (rows.length === 0) {
    const message =
      findings.length === 0
        ? 'No findings match these filters in this period. Widen the period or clear the filters.'
        : `None of the loaded findings contains “${filters.q.trim()}”.`;
    findingsBody.append(h('tr', {}, h('td', { class: 'empty-row', attrs: { colspan: 7 } }, message)));
  }
  const sortNote =
    filters.sort === 'asc' && findingsCursor
      ? ' Oldest first orders the loaded findings; load more to reach older ones.'
      : '';
  findingsStatusLine.textContent = `${findingsStatus(findings.length, rows.length, findingsCursor !== undefined, filters.q)}${sortNote}`;
  loadMoreButton.hidden = findingsCursor === undefined;
  timeHeader.setAttribute('aria-sort', filters.sort === 'asc' ? 'ascending' : 'descending');
  sortArrow.textContent = filters.sort === 'asc' ? '▲' : '▼';
  sortLabel.textContent =
    filters.sort === 'asc'
      ? ', oldest first; activate for newest first'
      : ', newest first; activate for oldest first';
}

async function loadFindings(append = false): Promise<void> {
  const gen = ++generation.findings;
  findingsError.replaceChildren();
  if (append) {
    loadMoreButton.disabled = true;
    loadMoreButton.textContent = 'Loading…';
  } else {
    findings = [];
    findingsCursor = undefined;
    findingsBody.replaceChildren();
    loadMoreButton.hidden = true;
    findingsStatusLine.textContent = 'Loading findings…';
  }
  try {
    const page = await api.findings(findingsQuery(filters), PAGE_SIZE, append ? findingsCursor : undefined);
    if (gen !== generation.findings) return;
    const firstNew = page.items[0]?.id;
    findings = append ? [...findings, ...page.items] : page.items;
    findingsCursor = page.cursor;
    renderFindings();
    if (append && firstNew !== undefined && loadMoreButton.hidden) {
      findingsBody.querySelector<HTMLElement>(`tr[data-id="${firstNew}"] button`)?.focus();
    }
  } catch (error) {
    if (gen !== generation.findings) return;
    findingsStatusLine.textContent = '';
    if (!append) findingsBody.replaceChildren();
    findingsError.replaceChildren(
      errorPanel(error, append ? 'more findings' : 'the findings', () => void loadFindings(append)),
    );
  } finally {
    if (gen === generation.findings) {
      loadMoreButton.disabled = false;
      loadMoreButton.textContent = 'Load more findings';
    }
  }
  drawTops();
}

function openFinding(finding: Finding, opener: HTMLElement | null): void {
  drilldown.open(finding, opener);
  writeUrl(false, finding.id);
}

async function openLinkedFinding(id: string): Promise<void> {
  try {
    openFinding(await api.finding(id), null);
  } catch (error) {
    findingsError.replaceChildren(errorPanel(error, 'the linked finding'));
    writeUrl(false);
  }
}

function setSearch(text: string): void {
  filters = { ...filters, q: text };
  searchInput.value = text;
  renderFindings();
  writeUrl(false);
}

/* ---------- sources ---------- */

async function loadSources(append = false): Promise<void> {
  const gen = ++generation.sources;
  if (append) sourcesMoreButton.disabled = true;
  else sourcesBody.replaceChildren(loadingNote('the analysed files'));
  try {
    const page = await api.sources(SOURCES_PAGE, append ? sourcesCursor : undefined);
    if (gen !== generation.sources) return;
    sources = append ? [...sources, ...page.items] : page.items;
    sourcesCursor = page.cursor;
    sourcesBody.replaceChildren(
      sources.length === 0
        ? h(
            'p',
            { class: 'panel' },
            'No files analysed yet. Run ',
            h('code', {}, 'relay-audit analyze <files>'),
            ' or upload logs to the bucket’s ',
            h('code', {}, 'incoming/'),
            ' prefix.',
          )
        : sourcesTable(sources, api),
    );
    sourcesMoreButton.hidden = sourcesCursor === undefined;
  } catch (error) {
    if (gen !== generation.sources) return;
    sourcesBody.replaceChildren(errorPanel(error, 'the analysed files', () => void loadSources(append)));
  } finally {
    sourcesMoreButton.disabled = false;
  }
}

/* ---------- filters ---------- */

function updateFilterViews(): void {
  activeFilters.textContent = describeFilters();
  exportLink.href = api.csvUrl(findingsQuery(filters));
  for (const card of overviewBody.querySelectorAll<HTMLElement>('.card')) {
    const selected = card.dataset.scenario === filters.scenario;
    card.classList.toggle('selected', selected);
    const button = card.querySelector('button');
    button?.setAttribute('aria-pressed', String(selected));
    if (button) button.textContent = selected ? 'Shown below' : 'Show findings';
  }
}

/** Applies new filters: reloads what they affect and records them in the address bar. */
function applyFilters(next: Filters, push = true): void {
  const previous = filters;
  filters = next;
  fillForm();
  writeUrl(push);
  updateFilterViews();
  const rangeChanged = next.from !== previous.from || next.to !== previous.to;
  const queryChanged =
    rangeChanged ||
    next.scenario !== previous.scenario ||
    next.senderDomain !== previous.senderDomain ||
    next.recipientDomain !== previous.recipientDomain;
  if (rangeChanged) void loadOverview();
  if (queryChanged) void loadFindings();
  else renderFindings();
}

function formFilters(): Filters | undefined {
  const from = fromInput.value;
  const to = toInput.value;
  const problem = rangeProblem(from, to);
  if (problem) {
    filterError.textContent = problem;
    filterError.hidden = false;
    (from > to || !from ? fromInput : toInput).focus();
    return undefined;
  }
  const scenario = scenarioSelect.value;
  return {
    ...filters,
    from,
    to,
    scenario: (SCENARIOS as string[]).includes(scenario) ? (scenario as ScenarioId) : undefined,
    senderDomain: senderInput.value.trim().toLowerCase() || undefined,
    recipientDomain: recipientInput.value.trim().toLowerCase() || undefined,
  };
}

function wireForm(): void {
  for (const scenario of SCENARIOS)
    scenarioSelect.append(h('option', { attrs: { value: scenario } }, SHORT_NAMES[scenario]));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = formFilters();
    if (next) applyFilters(next);
  });
  scenarioSelect.addEventListener('change', () => {
    const next = formFilters();
    if (next) applyFilters(next);
  });
  for (const button of form.querySelectorAll<HTMLButtonElement>('[data-days]')) {
    button.addEventListener('click', () => {
      const days = Number(button.dataset.days);
      const to = todayUtc();
      applyFilters({ ...filters, from: addDays(to, -(days - 1)), to });
    });
  }
  byId('clear-filters').addEventListener('click', () => {
    applyFilters({
      ...filters,
      scenario: undefined,
      senderDomain: undefined,
      recipientDomain: undefined,
      q: '',
    });
  });
  searchInput.addEventListener('input', () => setSearch(searchInput.value));
  byId('sort-time').addEventListener('click', () => {
    filters = { ...filters, sort: filters.sort === 'asc' ? 'desc' : 'asc' };
    renderFindings();
    writeUrl(false);
  });
  loadMoreButton.addEventListener('click', () => void loadFindings(true));
  sourcesMoreButton.addEventListener('click', () => void loadSources(true));
  byId('onboarding-reload').addEventListener('click', () => reloadAll());
  window.addEventListener('popstate', () => {
    if (drilldown.isOpen) drilldown.close();
    filters = filtersFromSearch(window.location.search);
    fillForm();
    updateFilterViews();
    reloadAll();
  });
}

/* ---------- readiness ---------- */

/** The readiness panel; independent of the filters (it is about the configuration, not a period). */
async function loadReadiness(): Promise<void> {
  const gen = ++generation.readiness;
  readinessBody.setAttribute('aria-busy', 'true');
  readinessBody.replaceChildren(loadingNote('the readiness results'));
  try {
    const response = await api.readiness();
    if (gen !== generation.readiness) return;
    renderReadiness(readinessBody, response);
  } catch (error) {
    if (gen !== generation.readiness) return;
    readinessBody.replaceChildren(errorPanel(error, 'the readiness results', () => void loadReadiness()));
  } finally {
    if (gen === generation.readiness) readinessBody.removeAttribute('aria-busy');
  }
}

function reloadAll(): void {
  void loadOverview();
  void loadFindings();
  void loadSources();
  void loadReadiness();
}

/* ---------- sign-in (cloud dashboard only) ---------- */

/** Everything that shows data: hidden while the page is signed out or the sign-in failed. */
function dataViews(): HTMLElement[] {
  return [form, onboarding, ...dataSections, byId('readiness'), byId('sources')];
}

/** The sign-in state: why there is no data (signed out, or the provider's or API's error) and a Sign in button. */
function showSignIn(problem: AuthProblem): void {
  for (const view of dataViews()) view.hidden = true;
  if (drilldown.isOpen) drilldown.close();
  byId('account').hidden = true;
  const panel = byId('sign-in');
  panel.hidden = false;
  panel.classList.toggle('error', problem.kind === 'error');
  panel.setAttribute('role', problem.kind === 'error' ? 'alert' : 'status');
  const active = session;
  const signIn = () => {
    if (!active) return;
    button.disabled = true;
    active.signIn().catch((error: unknown) => {
      button.disabled = false;
      showSignIn({ kind: 'error', message: `Could not start the sign-in: ${(error as Error).message}` });
    });
  };
  const button = h(
    'button',
    { class: 'primary', attrs: { type: 'button', id: 'sign-in-button' }, on: { click: signIn } },
    'Sign in',
  );
  byId('sign-in-body').replaceChildren(
    h(
      'div',
      {},
      h(
        'p',
        { attrs: { id: 'sign-in-message' } },
        problem.kind === 'signed-out'
          ? 'You are signed out. Sign in with your organisation account to see the findings.'
          : problem.message,
      ),
      problem.kind === 'error' && problem.detail ? h('p', { class: 'muted small' }, problem.detail) : null,
      active ? h('p', {}, button) : null,
    ),
  );
}

/** The signed-in account area in the header: a Sign out button. */
function showAccount(active: AuthSession): void {
  const account = byId('account');
  account.hidden = false;
  account.replaceChildren(
    h('span', { class: 'small' }, 'Signed in'),
    h(
      'button',
      {
        attrs: { type: 'button', id: 'sign-out' },
        on: {
          click: () => {
            active.signOut();
            for (const key of Object.keys(generation) as (keyof typeof generation)[]) generation[key]++;
            destroyChart();
            for (const body of [overviewBody, tops, findingsBody, sourcesBody, readinessBody])
              body.replaceChildren();
            showSignIn({ kind: 'signed-out' });
          },
        },
      },
      'Sign out',
    ),
  );
}

/** With sign-in the CSV link cannot carry the token: fetch it with the token and save the file. */
function wireAuthenticatedExport(): void {
  exportLink.addEventListener('click', (event) => {
    if (!api.signsIn) return;
    event.preventDefault();
    api
      .download(exportLink.href)
      .then((blob) => {
        const url = URL.createObjectURL(blob);
        const link = h('a', { attrs: { href: url, download: 'relay-audit-findings.csv' } });
        link.click();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      })
      .catch((error: unknown) => {
        findingsError.replaceChildren(errorPanel(error, 'the CSV export'));
      });
  });
}

async function start(): Promise<void> {
  applyScenarioColours(document.documentElement);
  let config: DashboardConfig;
  try {
    config = await loadConfig();
  } catch (error) {
    showSignIn({ kind: 'error', message: (error as Error).message });
    return;
  }
  if (config.auth) {
    // Loaded only when the dashboard signs in (the cloud): the local dashboard never needs the OIDC library.
    const { AuthSession } = await import('./auth.js');
    const active = new AuthSession(config.auth, showSignIn);
    session = active;
    const result = await active.start();
    if (result.kind === 'redirecting') return;
    if (result.kind !== 'ready') {
      showSignIn(result);
      return;
    }
    showAccount(active);
    // Back from the provider: the filters are those restored into the address bar.
    filters = filtersFromSearch(window.location.search);
  }
  api = new ApiClient(config.apiBase, session);
  byId('upload').replaceChildren(uploadPanel(api, () => reloadAll()));
  wireForm();
  wireAuthenticatedExport();
  fillForm();
  updateFilterViews();
  const linked = new URLSearchParams(window.location.search).get('finding');
  writeUrl(false, linked ?? undefined);
  reloadAll();
  if (linked) void openLinkedFinding(linked);
}

void start();
