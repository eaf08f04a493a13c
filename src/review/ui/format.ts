// Times and numbers for people in a command center: local clock time, compact durations.
import type { Translate } from './i18n.js';

const pad = (n: number): string => String(n).padStart(2, '0');

export function clock(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function dateTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock(ms)}`;
}

/** 1:05:03, 12:04, 0:09 */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

export function ago(ms: number, t: Translate, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return t('time.ago.s', { n: s });
  if (s < 3600) return t('time.ago.m', { n: Math.floor(s / 60) });
  if (s < 86400) return t('time.ago.h', { n: Math.floor(s / 3600) });
  return t('time.ago.d', { n: Math.floor(s / 86400) });
}

export const pct = (score: number): string => `${Math.round(score * 100)}%`;
