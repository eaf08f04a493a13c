import { api, errorInfo } from '../api.js';
import { h, clear } from '../dom.js';
import type { Ctx, View } from '../context.js';

export function renderLogin(root: HTMLElement, ctx: Ctx, onLoggedIn: () => Promise<void>): View {
  const t = ctx.t;
  const error = h('p', { class: 'form-error', role: 'alert' });
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, autofocus: true, maxlength: 64 });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: 256 });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('login.submit'));
  const form = h(
    'form',
    {
      class: 'login-card',
      onsubmit: async (e: SubmitEvent) => {
        e.preventDefault();
        error.textContent = '';
        submit.disabled = true;
        try {
          await api('/api/login', { method: 'POST', body: { username: username.value, password: password.value } });
          await onLoggedIn();
        } catch (err) {
          error.textContent = errorInfo(err).status === 429 ? t('login.limited') : t('login.failed');
          password.select();
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('div', { class: 'login-brand' }, h('span', { class: 'brand-mark big', 'aria-hidden': 'true' }), h('div', {}, h('h1', {}, t('app.title')), h('p', { class: 'muted' }, t('app.subtitle')))),
    h('label', {}, h('span', {}, t('login.username')), username),
    h('label', {}, h('span', {}, t('login.password')), password),
    error,
    submit,
  );
  clear(root).append(h('div', { class: 'login-wrap' }, form));
  username.focus();
  return {};
}
