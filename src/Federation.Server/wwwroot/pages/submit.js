// Placeholder until the page is built.
import { h } from '../dom.js';

export default {
  title: 'Submit a job',
  nav: 'jobs',
  render(main) {
    main.append(h('h1', {}, 'Submit a job'), h('p', { class: 'muted' }, 'This page is being built.'));
  },
};
