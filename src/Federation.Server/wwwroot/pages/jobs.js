// Placeholder until the page is built.
import { h } from '../dom.js';

export default {
  title: 'Jobs',
  nav: 'jobs',
  render(main) {
    main.append(h('h1', {}, 'Jobs'), h('p', { class: 'muted' }, 'This page is being built.'));
  },
};
