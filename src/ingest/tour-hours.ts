import { WEEKDAYS, type CameraTourConfig, type TourHours } from '../config/schema.js';

/** Wall-clock fields in a time zone: weekday (0 = mon) and minutes since midnight. */
export interface LocalTime {
  weekday: number;
  minutes: number;
}

const WEEKDAY_INDEX: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

/** One formatter per time zone (Intl formatters are costly to build, cheap to reuse). */
export function localTimeIn(timeZone: string | undefined): (epochMs: number) => LocalTime {
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return (epochMs) => {
    const parts = fmt.formatToParts(epochMs);
    const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '0';
    return { weekday: WEEKDAY_INDEX[get('weekday')] ?? 0, minutes: Number(get('hour')) * 60 + Number(get('minute')) };
  };
}

const toMinutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Inside the window at this local time? A window whose end is before its start runs past midnight (its days name the day it starts). */
export function inWindow(h: TourHours, t: LocalTime): boolean {
  const from = toMinutes(h.from);
  const to = toMinutes(h.to);
  const onDay = (weekday: number): boolean => !h.days || h.days.includes(WEEKDAYS[weekday]!);
  if (from < to) return onDay(t.weekday) && t.minutes >= from && t.minutes < to;
  // Past midnight: the evening part is on a listed day, the morning part on the day after one.
  if (t.minutes >= from) return onDay(t.weekday);
  return t.minutes < to && onDay((t.weekday + 6) % 7);
}

/** The camera's priority now: the highest of its own and those of the market-hours windows it is inside. */
export function tourPriority(tour: Pick<CameraTourConfig, 'priority' | 'hours'>, t: LocalTime): number {
  let p = tour.priority;
  for (const h of tour.hours) if (h.priority > p && inWindow(h, t)) p = h.priority;
  return p;
}
