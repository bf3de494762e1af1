// Placeholder until the page is built.
import { h } from '../dom.js';

export default {
  title: 'Job',
  nav: 'jobs',
  render(main) {
    main.append(h('h1', {}, 'Job'), h('p', { class: 'muted' }, 'This page is being built.'));
  },
};
