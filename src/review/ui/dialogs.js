// The reject-reason picker and the dispatch form, as modal <dialog>s. Each resolves with the action's
// body, or null when cancelled.
import { h } from './dom.js';

export const REJECT_REASONS = ['shadow_lighting', 'wrong_object', 'permitted_activity', 'duplicate', 'other'];
const SQUADS = ['一中队', '二中队', '三中队', '机动中队'];

function modal(content, onKey) {
  const dlg = h('dialog', { class: 'modal' }, content);
  document.body.append(dlg);
  dlg.addEventListener('keydown', (e) => onKey?.(e));
  dlg.showModal();
  return dlg;
}

export function pickRejectReason(t) {
  return new Promise((resolve) => {
    const note = h('textarea', { name: 'note', rows: 3, maxlength: 1000, placeholder: t('note.label') });
    const error = h('p', { class: 'form-error', role: 'alert' });
    const radios = REJECT_REASONS.map((r, i) =>
      h('label', { class: 'reason' }, h('input', { type: 'radio', name: 'reason', value: r, checked: i === 0 }), h('kbd', {}, String(i + 1)), h('span', {}, t(`reason.${r}`))),
    );
    let dlg;
    const done = (value) => {
      dlg.close();
      dlg.remove();
      resolve(value);
    };
    const form = h(
      'form',
      {
        method: 'dialog',
        class: 'dialog-form',
        onsubmit: (e) => {
          e.preventDefault();
          const reason = form.querySelector('input[name=reason]:checked')?.value;
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
    dlg = modal(form, (e) => {
      if (e.target === note) return;
      const n = Number(e.key);
      if (n >= 1 && n <= REJECT_REASONS.length) {
        radios[n - 1].querySelector('input').checked = true;
        if (REJECT_REASONS[n - 1] === 'other') note.focus();
        e.preventDefault();
      } else if (e.key === 'Enter') {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    dlg.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(null);
    });
    radios[0].querySelector('input').focus();
  });
}

export function dispatchForm(t) {
  return new Promise((resolve) => {
    const squad = h('input', { name: 'squad', list: 'squads', maxlength: 64, value: SQUADS[0] });
    const grid = h('input', { name: 'gridCell', maxlength: 64, placeholder: 'G-07' });
    const note = h('textarea', { name: 'note', rows: 3, maxlength: 1000 });
    const error = h('p', { class: 'form-error', role: 'alert' });
    let dlg;
    const done = (value) => {
      dlg.close();
      dlg.remove();
      resolve(value);
    };
    const form = h(
      'form',
      {
        method: 'dialog',
        class: 'dialog-form',
        onsubmit: (e) => {
          e.preventDefault();
          const body = {};
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
      h('datalist', { id: 'squads' }, SQUADS.map((s) => h('option', { value: s }))),
      h('div', { class: 'two' }, h('label', { class: 'field' }, h('span', {}, t('dispatch.squad')), squad), h('label', { class: 'field' }, h('span', {}, t('dispatch.grid')), grid)),
      h('label', { class: 'field' }, h('span', {}, t('note.label')), note),
      error,
      h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => done(null) }, t('action.cancel')), h('button', { type: 'submit', class: 'btn btn-primary' }, t('action.dispatch'))),
    );
    dlg = modal(form);
    dlg.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(null);
    });
    squad.focus();
    squad.select();
  });
}
