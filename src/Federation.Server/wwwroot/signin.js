// The sign-in view: one access token, checked with GET /api/whoami before the tab keeps it. The server's 401 (no token,
// not this server's, expired, revoked) is shown beside the field, as every form shows the API's problem details.

import { h } from './dom.js';
import { api, ApiError } from './api.js';
import { field, showProblem, clearProblem, whileSending } from './forms.js';

/**
 * The view; `onSignedIn(token, whoami)` is called once the server has accepted the token. `problem` (an ApiError) is
 * why the tab was signed out, shown beside the field from the start.
 */
export function signInView({ problem, onSignedIn }) {
  const input = h('input', { type: 'password', id: 'signin-token', name: 'token', autocomplete: 'off', spellcheck: 'false' });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h('form', { class: 'form signin-form', novalidate: true, 'aria-labelledby': 'signin-heading', onsubmit },
    field({ label: 'Access token', hint: 'Kept in this browser tab only (its session storage): closing the tab or signing out forgets it.' }, input),
    h('div', { class: 'toolbar' }, submit));
  // The API names the token's fault `Authorization` (the header it came in).
  const resolve = (name) => (name === 'Authorization' ? input : null);

  async function onsubmit(event) {
    event.preventDefault();
    clearProblem(form);
    const candidate = input.value.trim();
    try {
      const me = await whileSending(submit, () => api.whoami(candidate), 'Checking…');
      onSignedIn(candidate, me);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      showProblem(form, error, { resolve, heading: `Not signed in: ${error.title}` });
    }
  }

  const view = h('section', { class: 'card signin' },
    h('h1', { id: 'signin-heading' }, 'Sign in'),
    h('p', {}, 'The console calls the API with your access token. Get one from a coordinator (',
      h('code', {}, 'fedctl token create'), '), or use the first coordinator token the server printed at its first start.'),
    form);
  if (problem) showProblem(form, problem, { resolve, heading: `Signed out: ${problem.title}` });
  else queueMicrotask(() => input.focus({ preventScroll: true }));
  return view;
}
