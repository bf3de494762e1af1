// Placeholder until the page is built.
import { h } from '../dom.js';

export default {
  title: 'Region',
  nav: 'regions',
  render(main) {
    main.append(h('h1', {}, 'Region'), h('p', { class: 'muted' }, 'This page is being built.'));
  },
};
