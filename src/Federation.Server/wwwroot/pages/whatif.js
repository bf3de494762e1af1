// Placeholder until the page is built.
import { h } from '../dom.js';

export default {
  title: 'What-if',
  nav: 'whatif',
  render(main) {
    main.append(h('h1', {}, 'What-if'), h('p', { class: 'muted' }, 'This page is being built.'));
  },
};
