// The reject-reason picker and the dispatch form, as modal <dialog>s. Each resolves with the action's
// body, or null when cancelled. Reasons and squads come from /api/meta.
import { type Child, h } from './dom.js';
import type { Translate } from './i18n.js';
import type { RejectReason } from './types.js';

export interface RejectBody {
  reason: RejectReason;
  note?: string;
}
export interface DispatchBody {
  squad?: string;
  gridCell?: string;
  note?: string;
}

/** A modal's form: submitting runs `onSubmit` instead of closing the dialog or navigating. */
function dialogForm(onSubmit: () => void, ...children: Child[]): HTMLFormElement {
  const submit = (e: SubmitEvent) => {
    e.preventDefault();
    onSubmit();
  };
  return h('form', { method: 'dialog', class: 'dialog-form', onsubmit: submit }, ...children);
}

function modal(content: HTMLElement, onKey?: (e: KeyboardEvent) => void): HTMLDialogElement {
  const dlg = h('dialog', { class: 'modal' }, content);
  document.body.append(dlg);
  dlg.addEventListener('keydown', (e) => onKey?.(e));
  dlg.showModal();
  return dlg;
}

/** A modal that resolves once: `done(value)` closes and removes it; Esc resolves null. */
function settle<T>(build: (done: (value: T | null) => void) => HTMLDialogElement): Promise<T | null> {
  return new Promise((resolve) => {
    let dlg: HTMLDialogElement | undefined;
    const done = (value: T | null) => {
      dlg?.close();
      dlg?.remove();
      resolve(value);
    };
    dlg = build(done);
    dlg.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(null);
    });
  });
}

export function pickRejectReason(t: Translate, reasons: readonly RejectReason[]): Promise<RejectBody | null> {
  return settle<RejectBody>((done) => {
    const note = h('textarea', { name: 'note', rows: 3, maxlength: 1000, placeholder: t('note.label') });
    const error = h('p', { class: 'form-error', role: 'alert' });
    const inputs = reasons.map((r, i) => h('input', { type: 'radio', name: 'reason', value: r, checked: i === 0 }));
    const radios = reasons.map((r, i) => h('label', { class: 'reason' }, inputs[i], h('kbd', {}, String(i + 1)), h('span', {}, t(`reason.${r}`))));
    const form = dialogForm(
      () => {
        const i = inputs.findIndex((x) => x.checked);
        const reason = reasons[i];
        if (!reason) return;
        const text = note.value.trim();
        if (reason === 'other' && !text) {
          error.textContent = t('note.required');
          note.focus();
          return;
        }
        done(text ? { reason, note: text } : { reason });
      },
      h('h2', {}, t('reject.title')),
      h('div', { class: 'reasons' }, radios),
      h('label', { class: 'field' }, h('span', {}, t('note.label')), note),
      error,
      h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => done(null) }, t('action.cancel')), h('button', { type: 'submit', class: 'btn btn-danger' }, t('action.reject'))),
    );
    const dlg = modal(form, (e) => {
      if (e.target === note) return;
      const n = Number(e.key);
      const input = inputs[n - 1];
      if (input) {
        input.checked = true;
        if (reasons[n - 1] === 'other') note.focus();
        e.preventDefault();
      } else if (e.key === 'Enter') {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    inputs[0]?.focus();
    return dlg;
  });
}

export function dispatchForm(t: Translate, squads: readonly string[]): Promise<DispatchBody | null> {
  return settle<DispatchBody>((done) => {
    const squad = h('input', { name: 'squad', list: 'squads', maxlength: 64, value: squads[0] ?? '' });
    const grid = h('input', { name: 'gridCell', maxlength: 64, placeholder: 'G-07' });
    const note = h('textarea', { name: 'note', rows: 3, maxlength: 1000 });
    const error = h('p', { class: 'form-error', role: 'alert' });
    const form = dialogForm(
      () => {
        const body: DispatchBody = {};
        if (squad.value.trim()) body.squad = squad.value.trim();
        if (grid.value.trim()) body.gridCell = grid.value.trim();
        if (note.value.trim()) body.note = note.value.trim();
        if (!body.squad && !body.gridCell) {
          error.textContent = t('dispatch.needTarget');
          return;
        }
        done(body);
      },
      h('h2', {}, t('dispatch.title')),
      h('datalist', { id: 'squads' }, squads.map((s) => h('option', { value: s }))),
      h('div', { class: 'two' }, h('label', { class: 'field' }, h('span', {}, t('dispatch.squad')), squad), h('label', { class: 'field' }, h('span', {}, t('dispatch.grid')), grid)),
      h('label', { class: 'field' }, h('span', {}, t('note.label')), note),
      error,
      h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => done(null) }, t('action.cancel')), h('button', { type: 'submit', class: 'btn btn-primary' }, t('action.dispatch'))),
    );
    const dlg = modal(form);
    squad.focus();
    squad.select();
    return dlg;
  });
}

function simpleForm(t: Translate, title: string, body: readonly HTMLElement[], submit: HTMLButtonElement, onSubmit: () => void, onCancel: () => void): HTMLFormElement {
  return dialogForm(
    onSubmit,
    h('h2', {}, title),
    body,
    h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn btn-ghost', onclick: onCancel }, t('action.cancel')), submit),
  );
}

/** Asks before something that cannot be taken back; resolves true to go ahead. */
export async function confirmDialog(t: Translate, title: string, message: string, action: string): Promise<boolean> {
  const ok = await settle<true>((done) => {
    const submit = h('button', { type: 'submit', class: 'btn btn-danger' }, action);
    const dlg = modal(simpleForm(t, title, [h('p', { class: 'dialog-text' }, message)], submit, () => done(true), () => done(null)));
    submit.focus();
    return dlg;
  });
  return ok === true;
}

/**
 * A new password for someone else, typed twice. `check` asks the server and answers an error to show, or
 * null once it took the password; the dialog stays open until then.
 */
export function passwordDialog(t: Translate, title: string, min: number, check: (password: string) => Promise<string | null>): Promise<true | null> {
  return settle<true>((done) => {
    const pw = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: min, maxlength: 256 });
    const again = h('input', { name: 'passwordAgain', type: 'password', autocomplete: 'new-password', required: true, minlength: min, maxlength: 256 });
    const error = h('p', { class: 'form-error', role: 'alert' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('users.resetPassword'));
    const body = [
      h('label', { class: 'field' }, h('span', {}, t('account.new')), pw, h('small', { class: 'field-hint' }, t('users.passwordHint', { n: min }))),
      h('label', { class: 'field' }, h('span', {}, t('account.again')), again),
      error,
    ];
    const dlg = modal(
      simpleForm(
        t,
        title,
        body,
        submit,
        async () => {
          if (pw.value !== again.value) {
            error.textContent = t('account.mismatch');
            return;
          }
          submit.disabled = true;
          const problem = await check(pw.value);
          submit.disabled = false;
          if (problem === null) done(true);
          else error.textContent = problem;
        },
        () => done(null),
      ),
    );
    pw.focus();
    return dlg;
  });
}
