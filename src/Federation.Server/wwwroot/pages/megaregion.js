// Placeholder until the page is built.
import { h } from '../dom.js';

export default {
  title: 'Megaregion',
  nav: 'megaregion',
  render(main) {
    main.append(h('h1', {}, 'Megaregion'), h('p', { class: 'muted' }, 'This page is being built.'));
  },
};
