import { api, errorInfo } from '../api.js';
import { h, clear, toast } from '../dom.js';
import type { Ctx, View } from '../context.js';
import { userError } from '../messages.js';

/** The signed-in user's own page: change the password (the server ends the other sessions). */
export function renderAccount(root: HTMLElement, ctx: Ctx): View {
  const t = ctx.t;
  const minPassword = ctx.meta.passwordMinLength;
  const error = h('p', { class: 'form-error', role: 'alert' });
  const current = h('input', { name: 'currentPassword', type: 'password', autocomplete: 'current-password', required: true, maxlength: 256 });
  const next = h('input', { name: 'newPassword', type: 'password', autocomplete: 'new-password', required: true, minlength: minPassword, maxlength: 256 });
  const again = h('input', { name: 'newPasswordAgain', type: 'password', autocomplete: 'new-password', required: true, minlength: minPassword, maxlength: 256 });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('account.change'));
  const form = h(
    'form',
    {
      class: 'panel account-form',
      onsubmit: async (e: SubmitEvent) => {
        e.preventDefault();
        error.textContent = '';
        if (next.value !== again.value) {
          error.textContent = t('account.mismatch');
          again.select();
          return;
        }
        submit.disabled = true;
        try {
          await api('/api/me/password', { method: 'POST', body: { currentPassword: current.value, newPassword: next.value } });
          form.reset();
          toast(t('account.changed'), 'ok');
        } catch (err) {
          const info = errorInfo(err);
          error.textContent = info.status === 403 ? t('account.wrongCurrent') : info.status === 429 ? t('login.limited') : userError(t, info, minPassword);
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h3', {}, t('account.password')),
    h('label', {}, h('span', {}, t('account.current')), current),
    h('label', {}, h('span', {}, t('account.new')), next, h('small', { class: 'field-hint' }, t('users.passwordHint', { n: minPassword }))),
    h('label', {}, h('span', {}, t('account.again')), again),
    error,
    submit,
  );
  const me = ctx.me;
  clear(root).append(
    h(
      'div',
      { class: 'account-page' },
      h('div', { class: 'page-head head-row' }, h('h2', {}, t('account.title')), me ? h('span', { class: 'muted' }, `${me.username} · ${t(`role.${me.role}`)}`) : null),
      form,
    ),
  );
  return {};
}
