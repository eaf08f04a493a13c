import { api, errorInfo } from '../api.js';
import { h, clear, toast } from '../dom.js';
import { dateTime } from '../format.js';
import { confirmDialog, passwordDialog } from '../dialogs.js';
import { userError } from '../messages.js';
import type { Ctx, View } from '../context.js';
import type { Role, User } from '../types.js';

/**
 * Users (admin only): the list with what an admin may do to each account (role, disable/enable, reset the
 * password, delete), and a form to add one. The API answers 403 to anyone else, and refuses changes to
 * one's own account and to the last admin (409), which the page shows as it says them.
 */
export function renderUsers(root: HTMLElement, ctx: Ctx): View {
  const t = ctx.t;
  const minPassword = ctx.meta.passwordMinLength;
  let disposed = false;

  const total = h('span', { class: 'muted' });
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'table users-table' },
    h(
      'thead',
      {},
      h('tr', {}, h('th', {}, t('users.username')), h('th', {}, t('users.role')), h('th', { class: 'col-created' }, t('users.created')), h('th', {}, t('users.status')), h('th', {}, t('users.actions'))),
    ),
    body,
  );
  const listBox = h('div', { class: 'users-list table-scroll' }, table);

  const error = h('p', { class: 'form-error', role: 'alert' });
  const username = h('input', { name: 'username', autocomplete: 'off', required: true, minlength: 2, maxlength: 64, spellcheck: 'false' });
  const role = h('select', { name: 'role' }, ctx.meta.roles.map((r) => h('option', { value: r, selected: r === 'operator' }, t(`role.${r}`))));
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: minPassword, maxlength: 256 });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('users.create'));
  const form = h(
    'form',
    { class: 'panel user-form', onsubmit: create },
    h('h3', {}, t('users.new')),
    h('label', {}, h('span', {}, t('users.username')), username, h('small', { class: 'field-hint' }, t('field.username.rule'))),
    h('label', {}, h('span', {}, t('users.role')), role),
    h('label', {}, h('span', {}, t('users.password')), password, h('small', { class: 'field-hint' }, t('users.passwordHint', { n: minPassword }))),
    error,
    submit,
  );

  /** Runs one admin call for a user, then reloads the list; failures become a toast in the reader's language. */
  async function change(u: User, what: string, call: () => Promise<unknown>) {
    try {
      await call();
      if (disposed) return;
      toast(t(`users.done.${what}`, { name: u.username }), 'ok');
    } catch (err) {
      if (!disposed) toast(userError(t, errorInfo(err), minPassword), 'error');
    }
    if (!disposed) await load();
  }

  function actions(u: User) {
    const self = u.id === ctx.me?.id;
    const path = `/api/users/${u.id}`;
    const roleSelect = h(
      'select',
      {
        name: 'role',
        class: 'select-inline',
        'aria-label': t('users.role'),
        disabled: self,
        onchange: () => void change(u, 'role', () => api(`${path}/role`, { method: 'POST', body: { role: roleSelect.value as Role } })),
      },
      ctx.meta.roles.map((r) => h('option', { value: r, selected: r === u.role }, t(`role.${r}`))),
    );
    const toggle = h(
      'button',
      { type: 'button', class: 'btn btn-small', 'data-act': u.disabled ? 'enable' : 'disable', disabled: self, onclick: () => void change(u, u.disabled ? 'enable' : 'disable', () => api(`${path}/${u.disabled ? 'enable' : 'disable'}`, { method: 'POST' })) },
      t(u.disabled ? 'users.enable' : 'users.disable'),
    );
    const reset = h(
      'button',
      {
        type: 'button',
        class: 'btn btn-small',
        'data-act': 'password',
        // Resetting one's own would end one's own session; the account page changes it with the current one.
        disabled: self,
        title: self ? t('users.ownPassword') : '',
        onclick: async () => {
          const done = await passwordDialog(t, t('users.resetFor', { name: u.username }), minPassword, async (pw) => {
            try {
              await api(`${path}/password`, { method: 'POST', body: { password: pw } });
              return null;
            } catch (err) {
              return userError(t, errorInfo(err), minPassword);
            }
          });
          if (done && !disposed) toast(t('users.done.password', { name: u.username }), 'ok');
        },
      },
      t('users.resetPassword'),
    );
    const remove = h(
      'button',
      {
        type: 'button',
        class: 'btn btn-small btn-danger-ghost',
        'data-act': 'delete',
        disabled: self,
        onclick: async () => {
          if (await confirmDialog(t, t('users.deleteTitle', { name: u.username }), t('users.deleteText'), t('users.delete'))) {
            await change(u, 'delete', () => api(path, { method: 'DELETE' }));
          }
        },
      },
      t('users.delete'),
    );
    return h('div', { class: 'row-actions' }, roleSelect, toggle, reset, remove);
  }

  function row(u: User) {
    return h(
      'tr',
      { 'data-username': u.username, class: u.disabled ? 'is-disabled' : null },
      h('td', {}, h('span', { class: 'user-name' }, u.username), u.id === ctx.me?.id ? h('span', { class: 'muted' }, ` ${t('users.you')}`) : null),
      h('td', {}, h('span', { class: 'role-tag' }, t(`role.${u.role}`))),
      h('td', { class: 'mono col-created' }, u.createdAt ? dateTime(u.createdAt) : '—'),
      h('td', {}, h('span', { class: `state-pill ${u.disabled ? 'off' : 'ok'}` }, h('i', { class: 'dot' }), t(u.disabled ? 'users.disabled' : 'users.active'))),
      h('td', {}, actions(u)),
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
      const info = errorInfo(err);
      // Shown as text, never markup: the taken name comes back in the server's message.
      error.textContent = userError(t, info, minPassword);
      if (info.status === 409 || /username/.test(info.message)) username.select();
      else if (info.code === 'weak_password') password.select();
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

/** What a non-admin sees at #/users (and #/audit). */
export function renderAdminsOnly(root: HTMLElement, ctx: Ctx, titleKey = 'users.title'): View {
  const t = ctx.t;
  clear(root).append(h('div', { class: 'users-page' }, h('div', { class: 'page-head' }, h('h2', {}, t(titleKey))), h('div', { class: 'empty admins-only' }, t('users.adminOnly'))));
  return {};
}
