// #/jobs/new: a researcher submits a job. The browser checks only what it does natively (required, numbers); the
// server is the one validator, and its problem details are shown beside the fields they name (forms.js).

import { api, ApiError } from '../api.js';
import { h } from '../dom.js';
import { checkboxes, checkedValues, field, showProblem, clearProblem, whileSending } from '../forms.js';
import { acceleratorTypes, jobHref, regions } from '../jobs-common.js';

export default {
  title: 'Submit a job',
  nav: 'jobs',
  async render(main, { navigate, isCurrent }) {
    const regionList = await regions();
    if (!isCurrent()) return;
    const types = acceleratorTypes(regionList);
    const regionOptions = regionList.map((r) => h('option', { value: r.id }, `${r.id} — ${r.name}`));

    // Inputs are named after the API's fields, so most error names find their input without help.
    const number = (id, name, attrs = {}) => h('input', { id, name, type: 'number', inputmode: 'decimal', ...attrs });
    const text = (id, name, attrs = {}) => h('input', { id, name, type: 'text', autocomplete: 'off', spellcheck: 'false', ...attrs });
    const submit = h('button', { type: 'submit' }, 'Submit job');

    const form = h('form', { class: 'form job-form', 'aria-labelledby': 'submit-title' },
      h('fieldset', { class: 'group' },
        h('legend', {}, 'Who'),
        h('div', { class: 'row' },
          field({ label: 'Project' }, text('job-project', 'project', { required: true })),
          field({ label: 'Owner', hint: 'optional' }, text('job-owner', 'owner')),
          field({ label: 'Job id', hint: 'optional; letters, digits, - _ . : — the same id again never makes a second job' },
            text('job-id', 'id', { maxlength: '128', class: 'mono' })))),
      h('fieldset', { class: 'group' },
        h('legend', {}, 'Accelerators and time'),
        h('div', { class: 'row' },
          field({ label: 'Accelerators', hint: 'a gang: all in one pool of one region' },
            number('job-count', 'accelerators.count', { required: true, step: '1', inputmode: 'numeric' })),
          field({ label: 'Min memory (GB)', hint: 'per accelerator; optional' },
            number('job-memory', 'accelerators.minMemoryGb', { step: '1', inputmode: 'numeric' })),
          field({ label: 'Duration (hours)', hint: 'estimated run time' },
            number('job-duration', 'durationHours', { required: true, step: 'any' })),
          field({ label: 'Priority', hint: 'higher runs first' },
            number('job-priority', 'priority', { step: '1', value: '0', inputmode: 'numeric' }))),
        checkboxes({
          legend: 'Accelerator types',
          hint: 'none checked: any type',
          name: 'accelerators.types',
          idPrefix: 'job-types',
          options: types.map((t) => ({ value: t.type, label: t.type, hint: `${t.memoryGb} GB · ${t.regions.join(', ')}` })),
        })),
      h('fieldset', { class: 'group' },
        h('legend', {}, 'Regions and data'),
        h('div', { class: 'row' },
          field({ label: 'Home region', hint: 'where the job is submitted from' },
            h('select', { id: 'job-home', name: 'homeRegion', required: true }, h('option', { value: '' }, 'Choose a region…'), regionOptions.map((o) => o.cloneNode(true)))),
          field({ label: 'Dataset region', hint: 'optional; where the input data lives' },
            h('select', { id: 'job-dataset-region', name: 'dataset.region' }, h('option', { value: '' }, 'No dataset'), regionOptions.map((o) => o.cloneNode(true)))),
          field({ label: 'Dataset size (GB)', hint: 'moving it elsewhere takes time' },
            number('job-dataset-size', 'dataset.sizeGb', { step: 'any' }))),
        checkboxes({
          legend: 'Allowed regions',
          hint: 'data residency: none checked means any region',
          name: 'allowedRegions',
          idPrefix: 'job-allowed',
          options: regionList.map((r) => ({ value: r.id, label: r.id, hint: r.name })),
        })),
      h('div', { class: 'actions' }, submit, h('a', { href: '#/jobs', class: 'button secondary' }, 'Back to jobs')));

    let sending = false;
    let sent = null;
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (sending) return;
      sending = true;
      sent = request(form);
      try {
        const { status, data } = await whileSending(submit, () => api.post('api/jobs', sent), 'Submitting…');
        if (!isCurrent()) return;
        navigate(`${jobHref(data.id)}?submitted=${status === 201 ? 'created' : 'existing'}`);
      } catch (error) {
        if (!(error instanceof ApiError) || !isCurrent()) throw error;
        showProblem(form, error, {
          resolve: (name) => resolve(form, sent, name),
          heading: heading(error),
          extra: error.status === 409 && sent.id
            ? h('p', {}, h('a', { href: jobHref(sent.id) }, `Open the existing job ${sent.id}`), ', or choose another id.')
            : null,
        });
      } finally {
        sending = false;
      }
    });

    main.append(
      h('div', { class: 'page-head' },
        h('h1', { id: 'submit-title' }, 'Submit a job'),
        h('a', { href: '#/jobs' }, 'All jobs')),
      h('p', { class: 'muted lede' }, 'The job is placed in the region where it can start soonest, counting the time to move its dataset there. The server checks the request; anything it refuses is shown beside the field.'),
      form);
    return () => clearProblem(form);
  },
};

/** The JobRequest the form describes; empty optional fields are left out so the server applies its defaults. */
function request(form) {
  const value = (name) => form.elements.namedItem(name).value;
  const num = (name) => {
    const input = form.elements.namedItem(name);
    return input.value === '' ? undefined : input.valueAsNumber;
  };
  const body = {
    project: value('project'),
    homeRegion: value('homeRegion'),
    accelerators: { count: num('accelerators.count'), types: checkedValues(form, 'accelerators.types') },
    durationHours: num('durationHours'),
    allowedRegions: checkedValues(form, 'allowedRegions'),
  };
  if (value('id').trim() !== '') body.id = value('id').trim();
  if (value('owner') !== '') body.owner = value('owner');
  if (num('accelerators.minMemoryGb') !== undefined) body.accelerators.minMemoryGb = num('accelerators.minMemoryGb');
  if (num('priority') !== undefined) body.priority = num('priority');
  const datasetRegion = value('dataset.region');
  const datasetSize = num('dataset.sizeGb');
  if (datasetRegion !== '' || datasetSize !== undefined) body.dataset = { region: datasetRegion, sizeGb: datasetSize ?? 0 };
  return body;
}

/** An indexed name (`accelerators.types[1]`, `allowedRegions[0]`) is a position in what was sent: find that value's checkbox. */
function resolve(form, sent, name) {
  const indexed = /^(accelerators\.types|allowedRegions)\[(\d+)\]$/.exec(name);
  if (!indexed) return null;
  const values = indexed[1] === 'allowedRegions' ? sent.allowedRegions : sent.accelerators.types;
  const value = values?.[Number(indexed[2])];
  return [...form.querySelectorAll(`input[type=checkbox][name="${indexed[1]}"]`)].find((c) => c.value === value) ?? null;
}

function heading(error) {
  if (error.status === 400) return 'The job was not submitted: the server refused these fields.';
  if (error.status === 409) return 'The job was not submitted: this job id is taken by a job with a different request.';
  return `The job was not submitted: ${error.title}`;
}
