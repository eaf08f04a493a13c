import { api } from '../api.js';
import { h, clear, toast } from '../dom.js';
import { dateTime } from '../format.js';

const ROLES = ['operator', 'supervisor', 'admin'];
/** Keep in step with `NewPassword` in src/review/store/user-store.ts (the e2e test compares them). */
const MIN_PASSWORD = 12;

/** Users (admin only): the list, and a form to add one. The API answers 403 to anyone else. */
export function renderUsers(root, ctx) {
  const t = ctx.t;
  let disposed = false;

  const total = h('span', { class: 'muted' });
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'table users-table' },
    h('thead', {}, h('tr', {}, h('th', {}, t('users.username')), h('th', {}, t('users.role')), h('th', {}, t('users.created')), h('th', {}, t('users.status')))),
    body,
  );
  const listBox = h('div', { class: 'users-list' }, table);

  const error = h('p', { class: 'form-error', role: 'alert' });
  const username = h('input', { name: 'username', autocomplete: 'off', required: true, minlength: 2, maxlength: 64, spellcheck: 'false' });
  const role = h('select', { name: 'role' }, ROLES.map((r) => h('option', { value: r, selected: r === 'operator' }, t(`role.${r}`))));
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: MIN_PASSWORD, maxlength: 256 });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('users.create'));
  const form = h(
    'form',
    { class: 'panel user-form', onsubmit: create },
    h('h3', {}, t('users.new')),
    h('label', {}, h('span', {}, t('users.username')), username, h('small', { class: 'field-hint' }, t('users.usernameHint'))),
    h('label', {}, h('span', {}, t('users.role')), role),
    h('label', {}, h('span', {}, t('users.password')), password, h('small', { class: 'field-hint' }, t('users.passwordHint', { n: MIN_PASSWORD }))),
    error,
    submit,
  );

  function row(u) {
    return h(
      'tr',
      { 'data-username': u.username, class: u.disabled ? 'is-disabled' : null },
      h('td', {}, h('span', { class: 'user-name' }, u.username), u.id === ctx.me?.id ? h('span', { class: 'muted' }, ` ${t('users.you')}`) : null),
      h('td', {}, h('span', { class: 'role-tag' }, t(`role.${u.role}`))),
      h('td', { class: 'mono' }, u.createdAt ? dateTime(u.createdAt) : '—'),
      h('td', {}, h('span', { class: `state-pill ${u.disabled ? 'off' : 'ok'}` }, h('i', { class: 'dot' }), t(u.disabled ? 'users.disabled' : 'users.active'))),
    );
  }

  async function load() {
    try {
      const { users } = await api('/api/users');
      if (disposed) return;
      total.textContent = t('users.total', { n: users.length });
      clear(body).append(...users.map(row));
      table.hidden = false;
      listBox.querySelector('.empty')?.remove();
      if (users.length === 0) listBox.append(h('div', { class: 'empty' }, t('users.empty')));
    } catch (err) {
      if (disposed) return;
      table.hidden = true;
      listBox.querySelector('.empty')?.remove();
      listBox.append(h('div', { class: 'empty' }, t(err.status === 403 ? 'users.adminOnly' : 'error.generic')));
    }
  }

  async function create(e) {
    e.preventDefault();
    error.textContent = '';
    submit.disabled = true;
    try {
      const { user } = await api('/api/users', { method: 'POST', body: { username: username.value.trim(), password: password.value, role: role.value } });
      if (disposed) return;
      toast(t('users.createdToast', { name: user.username }), 'ok');
      form.reset();
      await load();
      username.focus();
    } catch (err) {
      if (disposed) return;
      // The server's message names the field (400) or the taken name (409); it is shown as text, never markup.
      error.textContent =
        err.status === 409 ? `${t('users.exists')}：${err.message}`
        : err.status === 400 ? `${t('users.invalid')}：${err.message}`
        : err.status === 403 ? t('error.forbidden')
        : t('error.generic');
      (err.status === 409 ? username : null)?.select();
    } finally {
      submit.disabled = false;
    }
  }

  clear(root).append(
    h('div', { class: 'users-page' }, h('div', { class: 'page-head head-row' }, h('h2', {}, t('users.title')), total), h('div', { class: 'users-layout' }, h('section', { class: 'panel' }, listBox), form)),
  );
  load();

  return {
    dispose() {
      disposed = true;
    },
  };
}

/** What a non-admin sees at #/users. */
export function renderAdminsOnly(root, ctx) {
  const t = ctx.t;
  clear(root).append(h('div', { class: 'users-page' }, h('div', { class: 'page-head' }, h('h2', {}, t('users.title'))), h('div', { class: 'empty admins-only' }, t('users.adminOnly'))));
  return {};
}
