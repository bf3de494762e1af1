// #/jobs/{id}: one job — where it is and why (the placement table), what happened to it (the history, with its
// preemptions counted and explained), and Cancel.
// While the job is not finished the page follows it: a live snapshot (at most one refresh a second) or, when none
// comes, a poll every 2 s. Only the parts that changed are redrawn, so a reason being typed or the focus is not lost.

import { api, ApiError, query } from '../api.js';
import { h, replace } from '../dom.js';
import { seconds, timeElement, timeZone, number, gigabytes } from '../format.js';
import { subscribe } from '../live.js';
import { field, showProblem, clearProblem, whileSending } from '../forms.js';
import { FINISHED, acceleratorsText, hoursText, regions, statePill } from '../jobs-common.js';

const POLL_MS = 2000;
const LIVE_MIN_MS = 1000;

export default {
  title: (params) => `Job ${params.id}`,
  nav: 'jobs',
  async render(main, { params, query: q, isCurrent }) {
    const id = params.id;
    const path = `api/jobs/${encodeURIComponent(id)}`;
    let job;
    let names;
    try {
      [job, names] = await Promise.all([api.get(path), regions().then(regionNames, () => new Map())]);
    } catch (error) {
      if (!isCurrent()) return;
      if (error instanceof ApiError && error.status === 404) {
        main.append(h('h1', {}, 'Job not found'),
          h('p', { role: 'alert' }, 'No job has id ', h('code', {}, id), '. ', h('a', { href: '#/jobs' }, 'Search the jobs'), ' or ', h('a', { href: '#/jobs/new' }, 'submit one'), '.'));
        return;
      }
      throw error;
    }
    if (!isCurrent()) return;

    const stateLine = h('p', { class: 'job-state', role: 'status', 'aria-live': 'polite', tabindex: '-1' });
    const facts = h('dl', { class: 'facts' });
    const placement = h('section', { 'aria-labelledby': 'placement-title' });
    const history = h('section', { 'aria-labelledby': 'history-title' });
    const cancel = cancelPanel(id, (updated) => show(updated, true));
    const submitted = q.get('submitted');

    const notice = {
      created: 'The job was submitted and placed.',
      existing: 'A job with this id and the same request already existed: this is that job, nothing new was created.',
    }[submitted];
    main.append(...[
      h('div', { class: 'page-head' },
        h('h1', {}, 'Job ', h('span', { class: 'mono' }, id)),
        h('a', { href: '#/jobs' }, 'All jobs')),
      notice ? h('p', { class: 'notice' }, notice) : null,
      h('div', { class: 'job-top' }, stateLine, cancel.element),
      h('section', { 'aria-labelledby': 'request-title' },
        h('h2', { id: 'request-title' }, 'Request and times'),
        facts,
        h('p', { class: 'muted small' }, `Times in ${timeZone}.`)),
      placement,
      history,
    ].filter(Boolean));

    let shown = '';
    function show(next, focusState = false) {
      job = next;
      const json = JSON.stringify(next);
      if (json !== shown) {
        shown = json;
        replace(stateLine, statePill(next.state), ' ', stateWords(next));
        replace(facts, ...factRows(next, names));
        replace(placement, ...placementParts(next, names));
        replace(history, ...historyParts(next, names));
        cancel.update(next);
      }
      if (focusState) stateLine.focus();
      if (FINISHED.has(next.state)) stop();
    }

    // Following the job: every refresh is one GET; a refresh never overlaps another.
    let last = Date.now();
    let inFlight = false;
    let pending = null;
    let stopped = false;
    const refresh = async () => {
      if (inFlight || stopped) return;
      inFlight = true;
      last = Date.now();
      try {
        const next = await api.get(path);
        if (!stopped && isCurrent()) show(next);
      } catch {
        // A failed refresh is retried by the next poll; the page keeps what it last showed.
      } finally {
        inFlight = false;
      }
    };
    const poll = setInterval(() => { if (Date.now() - last >= POLL_MS) refresh(); }, POLL_MS / 4);
    const unsubscribe = subscribe(() => {
      if (pending) return;
      pending = setTimeout(() => { pending = null; refresh(); }, Math.max(0, last + LIVE_MIN_MS - Date.now()));
    });
    function stop() {
      stopped = true;
      clearInterval(poll);
      clearTimeout(pending);
      unsubscribe();
    }

    show(job);
    return stop;
  },
};

const regionNames = (list) => new Map(list.map((r) => [r.id, r.name]));

/** A region id with its name as a tooltip-free suffix only where the page has room (the placement table). */
const regionCell = (id, names) => names.has(id) ? [h('strong', {}, id), h('span', { class: 'muted small' }, ' ', names.get(id))] : id;

/** What the state pill does not say: where, and since when. */
function stateWords(job) {
  if (job.state === 'Submitted') return 'being placed';
  if (!job.region) return 'no region could run it';
  const since = job.endedAt ?? job.startedAt;
  return since ? [`in ${job.region} since `, timeElement(h, since)] : `in ${job.region}`;
}

function factRows(job) {
  const row = (term, ...value) => [h('dt', {}, term), h('dd', {}, ...value)];
  const dataset = job.dataset ? `${gigabytes(job.dataset.sizeGb)} in ${job.dataset.region}` : 'none';
  return [
    row('Project', job.project),
    row('Owner', job.owner || '—'),
    row('Home region', job.homeRegion),
    row('Region', job.region ?? 'not placed'),
    row('Accelerators', acceleratorsText(job.accelerators)),
    row('Duration', hoursText(job.durationHours)),
    row('Dataset', dataset),
    row('Allowed regions', job.allowedRegions?.length ? job.allowedRegions.join(', ') : 'any'),
    row('Priority', number(job.priority)),
    row('Submitted', timeElement(h, job.submittedAt)),
    row('Started', timeElement(h, job.startedAt)),
    row('Finished', timeElement(h, job.endedAt)),
    ...runRows(job, row),
  ].flat();
}

/** What the job runs and what its backend (Slurm) said, when there is anything to say. */
function runRows(job, row) {
  const rows = [];
  if (job.run) {
    rows.push(row('Script', h('pre', { class: 'script' }, job.run.script)));
    if (job.run.image) rows.push(row('Image', job.run.image));
    if (job.run.workingDirectory) rows.push(row('Working directory', job.run.workingDirectory));
    const env = Object.entries(job.run.environment ?? {});
    if (env.length) rows.push(row('Environment', env.map(([k, v]) => `${k}=${v}`).join(' ')));
  }
  if (job.backendJobId) rows.push(row('Backend job', job.backendJobId));
  if (job.exitCode !== null && job.exitCode !== undefined) rows.push(row('Exit code', number(job.exitCode)));
  if (job.backendReason) rows.push(row('Backend reason', job.backendReason));
  return rows;
}

function placementParts(job, names) {
  const p = job.placement;
  const parts = [h('h2', { id: 'placement-title' }, 'Placement')];
  if (!p) return [...parts, h('p', { class: 'muted' }, 'Not placed yet.')];
  parts.push(h('p', { class: 'muted small' },
    `Policy ${p.policy}: the eligible region with the lowest score (expected start delay, data transfer included, plus penalty) is chosen.`));
  if (p.note) parts.push(h('p', { class: 'notice' }, h('strong', {}, 'Note: '), p.note));
  parts.push(h('div', { class: 'table-wrap' }, h('table', { class: 'placement' },
    h('caption', {}, p.chosenRegion ? `Placed in ${p.chosenRegion}.` : 'No region could run the job.'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Region'),
      h('th', { scope: 'col' }, 'Eligible'),
      h('th', { scope: 'col', class: 'num' }, 'Expected start'),
      h('th', { scope: 'col', class: 'num' }, 'Transfer'),
      h('th', { scope: 'col', class: 'num' }, 'Penalty'),
      h('th', { scope: 'col', class: 'num' }, 'Score'))),
    h('tbody', {}, p.candidates.map((c) => {
      const chosen = c.region === p.chosenRegion;
      return h('tr', { class: chosen ? 'chosen' : c.eligible ? null : 'excluded', 'aria-current': chosen ? 'true' : null },
        h('th', { scope: 'row' }, regionCell(c.region, names), chosen ? h('span', { class: 'pill chosen-mark' }, '✓ chosen') : null),
        h('td', {}, c.eligible ? 'yes' : ['no — ', c.excludedBecause ?? 'not used']),
        h('td', { class: 'num' }, c.expectedStartDelaySeconds === null ? '—' : seconds(c.expectedStartDelaySeconds)),
        h('td', { class: 'num' }, Number.isFinite(c.transferSeconds) ? seconds(c.transferSeconds) : 'no path'),
        h('td', { class: 'num' }, seconds(c.penaltySeconds)),
        h('td', { class: 'num' }, c.score === null ? '—' : `${number(c.score, 1)} s`));
    })))));
  if (job.reason) parts.push(h('details', { class: 'reason' }, h('summary', {}, 'The reason in words'), h('p', {}, job.reason)));
  return parts;
}

const RECLAIM_EVENTS = new Set(['Reclaiming', 'Preempted']);

function historyParts(job) {
  // A run on lent accelerators that the lending region took back: counted above the table, each row explaining it.
  const preemptions = job.history.filter((e) => e.kind === 'Preempted');
  const last = preemptions.at(-1);
  return [
    h('h2', { id: 'history-title' }, 'History'),
    preemptions.length
      ? h('p', { class: 'notice', 'data-field': 'preemptions' },
        `Preempted ${preemptions.length === 1 ? 'once' : `${number(preemptions.length)} times`}: a region took back accelerators it had lent to this job`,
        ` (last in ${last.region ?? 'a region'}, `, timeElement(h, last.at), '), and the job was placed again. The rows below say for whom, what ran and what was charged.')
      : null,
    h('div', { class: 'table-wrap' }, h('table', { class: 'history' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Time'),
        h('th', { scope: 'col' }, 'Event'),
        h('th', { scope: 'col' }, 'Region'),
        h('th', { scope: 'col' }, 'What happened'))),
      h('tbody', {}, job.history.map((e) => h('tr', RECLAIM_EVENTS.has(e.kind) ? { class: 'reclaim', 'data-kind': e.kind } : { 'data-kind': e.kind },
        h('td', { class: 'nowrap' }, timeElement(h, e.at)),
        h('td', {}, e.kind),
        h('td', {}, e.region ?? '—'),
        h('td', {}, e.message)))))),
  ];
}

/** Cancel: a button that opens a confirmation with an optional reason; hidden once the job is finished. */
function cancelPanel(id, done) {
  const open = h('button', { type: 'button', class: 'danger', 'aria-expanded': 'false', 'aria-controls': 'cancel-confirm' }, 'Cancel job…');
  const reason = h('input', { id: 'cancel-reason', name: 'reason', type: 'text', autocomplete: 'off', maxlength: '500' });
  const confirm = h('button', { type: 'submit', class: 'danger' }, 'Yes, cancel the job');
  const keep = h('button', { type: 'button', class: 'secondary' }, 'Keep it');
  const form = h('form', { id: 'cancel-confirm', class: 'cancel-confirm', hidden: true, 'aria-label': 'Confirm cancelling' },
    h('p', {}, h('strong', {}, 'Cancel this job?'), ' Its accelerators are freed at once; this cannot be undone.'),
    field({ label: 'Reason (optional)', hint: 'goes into the job\'s history' }, reason),
    h('div', { class: 'actions' }, confirm, keep));
  const element = h('div', { class: 'cancel' }, open, form);

  const toggle = (show) => {
    form.hidden = !show;
    open.hidden = show;
    open.setAttribute('aria-expanded', String(show));
    if (show) reason.focus();
    else open.focus();
  };
  open.addEventListener('click', () => toggle(true));
  keep.addEventListener('click', () => { clearProblem(form); toggle(false); });
  let sending = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (sending) return;
    sending = true;
    try {
      const { data } = await whileSending(confirm, () => api.delete(`api/jobs/${encodeURIComponent(id)}${query({ reason: reason.value.trim() })}`), 'Cancelling…');
      clearProblem(form);
      form.hidden = true;
      done(data);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      showProblem(form, error, { heading: `The job was not cancelled: ${error.title}` });
    } finally {
      sending = false;
    }
  });

  return {
    element,
    update(job) {
      const active = !FINISHED.has(job.state);
      element.hidden = !active;
    },
  };
}
