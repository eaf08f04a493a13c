// The reject-reason picker and the dispatch form, as modal <dialog>s. Each resolves with the action's
// body, or null when cancelled. Reasons and squads come from /api/meta.
import { h } from './dom.js';
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
    const form = h(
      'form',
      {
        method: 'dialog',
        class: 'dialog-form',
        onsubmit: (e: SubmitEvent) => {
          e.preventDefault();
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
    const form = h(
      'form',
      {
        method: 'dialog',
        class: 'dialog-form',
        onsubmit: (e: SubmitEvent) => {
          e.preventDefault();
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
