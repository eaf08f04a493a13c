import { api, errorInfo } from '../api.js';
import { h, clear, toast } from '../dom.js';
import { dateTime } from '../format.js';
import type { Translate } from '../i18n.js';
import type { Ctx, View } from '../context.js';
import type { User } from '../types.js';

/** Keep in step with `NewPassword` in src/review/store/user-store.ts (the e2e test compares them). */
export const MIN_PASSWORD = 12;

const FIELDS = ['username', 'password', 'newPassword', 'currentPassword', 'role'] as const;

/**
 * A 400's message names the field the server refused (`body/username must match pattern "…"`, or
 * `username: …`): the reader gets that field's name and its rule in their language, not the pattern.
 */
export function invalidInput(t: Translate, message: string): string {
  const field = FIELDS.find((f) => new RegExp(`(^|[/\\s;])${f}\\b`).test(message));
  if (!field) return t('users.invalid');
  return `${t('users.invalid')}：${t(`field.${field}`)} — ${t(`field.${field}.rule`, { n: MIN_PASSWORD })}`;
}

/** Users (admin only): the list, and a form to add one. The API answers 403 to anyone else. */
export function renderUsers(root: HTMLElement, ctx: Ctx): View {
  const t = ctx.t;
  let disposed = false;

  const total = h('span', { class: 'muted' });
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'table users-table' },
    h('thead', {}, h('tr', {}, h('th', {}, t('users.username')), h('th', {}, t('users.role')), h('th', { class: 'col-created' }, t('users.created')), h('th', {}, t('users.status')))),
    body,
  );
  const listBox = h('div', { class: 'users-list table-scroll' }, table);

  const error = h('p', { class: 'form-error', role: 'alert' });
  const username = h('input', { name: 'username', autocomplete: 'off', required: true, minlength: 2, maxlength: 64, spellcheck: 'false' });
  const role = h('select', { name: 'role' }, ctx.meta.roles.map((r) => h('option', { value: r, selected: r === 'operator' }, t(`role.${r}`))));
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

  function row(u: User) {
    return h(
      'tr',
      { 'data-username': u.username, class: u.disabled ? 'is-disabled' : null },
      h('td', {}, h('span', { class: 'user-name' }, u.username), u.id === ctx.me?.id ? h('span', { class: 'muted' }, ` ${t('users.you')}`) : null),
      h('td', {}, h('span', { class: 'role-tag' }, t(`role.${u.role}`))),
      h('td', { class: 'mono col-created' }, u.createdAt ? dateTime(u.createdAt) : '—'),
      h('td', {}, h('span', { class: `state-pill ${u.disabled ? 'off' : 'ok'}` }, h('i', { class: 'dot' }), t(u.disabled ? 'users.disabled' : 'users.active'))),
    );
  }

  async function load() {
    try {
      const { users } = await api<{ users: User[] }>('/api/users');
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
      listBox.append(h('div', { class: 'empty' }, t(errorInfo(err).status === 403 ? 'users.adminOnly' : 'error.generic')));
    }
  }

  async function create(e: SubmitEvent) {
    e.preventDefault();
    error.textContent = '';
    submit.disabled = true;
    try {
      const { user } = await api<{ user: User }>('/api/users', { method: 'POST', body: { username: username.value.trim(), password: password.value, role: role.value } });
      if (disposed) return;
      toast(t('users.createdToast', { name: user.username }), 'ok');
      form.reset();
      await load();
      username.focus();
    } catch (err) {
      if (disposed) return;
      const { status, message } = errorInfo(err);
      // The taken name (409) is shown as the server says it, as text, never markup; a refused field (400) by its rule.
      error.textContent =
        status === 409 ? `${t('users.exists')}：${message}`
        : status === 400 ? invalidInput(t, message)
        : status === 403 ? t('error.forbidden')
        : t('error.generic');
      if (status === 409 || /username/.test(message)) username.select();
    } finally {
      submit.disabled = false;
    }
  }

  clear(root).append(
    h('div', { class: 'users-page' }, h('div', { class: 'page-head head-row' }, h('h2', {}, t('users.title')), total), h('div', { class: 'users-layout' }, h('section', { class: 'panel' }, listBox), form)),
  );
  void load();

  return {
    dispose() {
      disposed = true;
    },
  };
}

/** What a non-admin sees at #/users. */
export function renderAdminsOnly(root: HTMLElement, ctx: Ctx): View {
  const t = ctx.t;
  clear(root).append(h('div', { class: 'users-page' }, h('div', { class: 'page-head' }, h('h2', {}, t('users.title'))), h('div', { class: 'empty admins-only' }, t('users.adminOnly'))));
  return {};
}
