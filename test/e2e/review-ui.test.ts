/**
 * The review UI end to end in headless Chromium (Debian's, driven by playwright-core): log in, see the
 * seeded events in the queue, play a clip, reject one with a reason, dispatch another as a supervisor,
 * watch a new event arrive live, fit a desktop and a phone screen, add a user as an admin, change one's
 * own password. Screenshots go to test/artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { reviewFixture, USERNAMES, PASSWORDS, type ReviewFixture } from './harness.js';
import { makeSeededEvent, testClip } from './seed.js';
import { pathToFileURL } from 'node:url';
import { LiveView } from '../../src/review/live-view.js';
import { TEST_CAMERAS } from './harness.js';
import type { CameraConfig } from '../../src/config/schema.js';
import type { Role } from '../../src/review/store/status.js';
import { NewPassword } from '../../src/review/store/user-store.js';
import { BOX_COLORS } from '../../src/evidence/snapshot.js';
import { VIOLATION_LABELS } from '../../src/contracts/violation.js';
import { eventId } from '../../src/score/scorer.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test/artifacts');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`[review-ui] skipped: ${CHROMIUM} not found (apt-get install chromium)`);

describe.skipIf(!haveChromium)('review UI in Chromium', () => {
  let fx: ReviewFixture;
  let browser: Browser;
  let page: Page;
  let base: string;
  let liveView: LiveView;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const clipDir = join(process.cwd(), 'node_modules/.cache/patrol-test');
    testClip(clipDir);
    // A file camera plays as a live one, so the live-view button has a stream to open.
    const cameras: CameraConfig[] = [
      ...TEST_CAMERAS,
      { id: 'cam-demo-file', name: '演示视频', url: pathToFileURL(join(clipDir, 'testsrc2-4s.mp4')).href, enabled: true, loop: true, zones: [], violations: ['stall', 'dumping', 'burning'], intervalSec: 5, decode: 'keyframe' },
    ];
    liveView = new LiveView({ cameras, width: 640 });
    fx = await reviewFixture({
      cameras,
      liveView,
      getCameraStatus: (id) =>
        id === 'cam-river-road'
          ? { cameraId: id, state: 'backoff', attempt: 3, retryAt: Date.now() + 8000, reason: 'rtsp://operator:hunter2@cam2.example.net/live: Connection timed out', transport: { kind: 'native', why: 'default for rtsp:// with keyframe decode', explicit: false, rtp: 'udp' } }
          : id === 'cam-market-st'
            ? { cameraId: id, state: 'failed', attempt: 12, reason: 'Server returned 401 Unauthorized (authorization failed)' }
            : id === 'cam-east-gate'
              ? { cameraId: id, state: 'live', attempt: 0, lastFrameAt: Date.now() - 2000, worker: 'worker-b7', since: Date.now() - 3_600_000, fps: 0.2, alerts: [{ check: 'frozen', since: Date.now() - 120_000 }] }
              : { cameraId: id, state: 'live', attempt: 0, lastFrameAt: Date.now() - 2000 },
    });
    base = await fx.app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
    page.on('pageerror', (err) => console.error('[browser]', err.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await fx?.close();
    await liveView?.close();
  });

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `review-${name}.png`) });

  async function login(role: Role) {
    await page.goto(`${base}/#/login`);
    await page.fill('input[name=username]', USERNAMES[role]);
    await page.fill('input[name=password]', PASSWORDS[role]);
    await page.click('button[type=submit]');
    await page.waitForSelector('.event-row');
  }

  it('refuses a wrong password, then logs in and shows the queue with thumbnails and counts', async () => {
    await page.goto(base);
    await page.waitForSelector('form.login-card');
    await shot('01-login');
    await page.fill('input[name=username]', USERNAMES.operator);
    await page.fill('input[name=password]', 'not-my-password');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('.form-error')).toContain('用户名或密码错误');

    await login('operator');
    const ids = await page.$$eval('.event-row', (rows) => rows.map((r) => (r as HTMLElement).dataset.id));
    expect(ids).toEqual(['evt-stall-0004', 'evt-burn-0003', 'evt-dump-0002', 'evt-stall-0001']);
    // Thumbnails are real, verified JPEGs.
    await page.waitForFunction(() => Array.from(document.querySelectorAll<HTMLImageElement>('.thumb img')).every((i) => i.complete && i.naturalWidth > 0));
    expect(await page.textContent('#counts')).toContain('占道2');
    await expect.poll(() => page.getAttribute('#live-dot', 'class')).toContain('on');
    await shot('02-queue');
  });

  it('filters the queue by type', async () => {
    await page.click('.filter[data-type=stall]');
    await expect.poll(() => page.$$eval('.event-row', (r) => r.length)).toBe(2);
    await page.click('.filter[data-type=stall]');
    await expect.poll(() => page.$$eval('.event-row', (r) => r.length)).toBe(4);
  });

  it('opens an event and plays its clip', async () => {
    await page.click('.event-row[data-id="evt-stall-0001"]');
    await page.waitForSelector('video#clip');
    await page.waitForFunction(() => (document.querySelector('video#clip') as HTMLVideoElement).readyState >= 2, undefined, { timeout: 20_000 });
    const t0 = await page.$eval('video#clip', (v) => (v as HTMLVideoElement).currentTime);
    await page.waitForFunction((start) => (document.querySelector('video#clip') as HTMLVideoElement).currentTime > start + 0.3, t0, { timeout: 20_000 });
    const v = await page.$eval('video#clip', (el) => {
      const video = el as HTMLVideoElement;
      return { w: video.videoWidth, h: video.videoHeight, err: video.error?.code ?? null };
    });
    expect(v).toEqual({ w: 640, h: 360, err: null });
    // The persistence proof strip: first seen, rule met, latest.
    expect(await page.$$eval('.proof', (els) => els.map((e) => (e as HTMLElement).dataset.proof))).toEqual(['firstSeen', 'confirmed', 'latest']);
    await page.waitForFunction(() => Array.from(document.querySelectorAll<HTMLImageElement>('.proof img')).every((i) => i.complete && i.naturalWidth > 0));
    await shot('03-event-clip');
  });

  it('shows the snapshot with boxes drawn client-side, and toggles them with B', async () => {
    await page.click('.media-tabs .tab:nth-of-type(2)');
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('img#snapshot');
      return img?.complete && img.naturalWidth > 0;
    });
    const painted = () =>
      page.$eval('canvas.boxes', (c) => {
        const canvas = c as HTMLCanvasElement;
        if (canvas.hidden) return -1;
        const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
        return n;
      });
    await expect.poll(painted).toBeGreaterThan(500);
    // Drawn in the snapshot's own colour for the type, which the page got from /api/meta.
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(BOX_COLORS.stall.slice(i, i + 2), 16));
    const inStallColour = await page.$eval(
      'canvas.boxes',
      (c, rgb) => {
        const canvas = c as HTMLCanvasElement;
        const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] === rgb[0] && d[i + 1] === rgb[1] && d[i + 2] === rgb[2] && d[i + 3] === 255) n++;
        return n;
      },
      [r, g, b],
    );
    expect(inStallColour).toBeGreaterThan(200);
    await shot('04-event-snapshot-boxes');
    // Drawn over the box-free frame, so switching them off leaves a clean picture.
    expect(await page.getAttribute('img#snapshot', 'src')).toMatch(/\/frame$/);
    await page.keyboard.press('b');
    expect(await painted()).toBe(-1);
    await page.keyboard.press('b');
    expect(await painted()).toBeGreaterThan(500);
    // A proof picture carries its own boxes: nothing drawn over it, and the toggle says why it is off.
    await page.click('.proof[data-proof="confirmed"]');
    await page.waitForFunction(() => /\/confirmed$/.test(document.querySelector<HTMLImageElement>('img#snapshot')?.src ?? ''));
    expect(await painted()).toBe(-1);
    expect(await page.$eval('#boxes-toggle', (i) => (i as HTMLInputElement).disabled)).toBe(true);
    await page.click('.media-tabs .tab:nth-of-type(2)');
    await expect.poll(painted).toBeGreaterThan(500);
  });

  it("shows a dumping event's before/after pair from the scene model first in the proof strip", async () => {
    await page.goto(`${base}/#/events/evt-dump-0002`);
    await page.waitForSelector('.proof');
    expect(await page.$$eval('.proof', (els) => els.map((e) => (e as HTMLElement).dataset.proof))).toEqual(['beforeAfter', 'firstSeen', 'confirmed', 'latest']);
    await page.click('.proof[data-proof="beforeAfter"]');
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('img#snapshot');
      return img?.src.includes('beforeAfter') && img.complete && img.naturalWidth > 0;
    });
    // The pair is one picture with its own outline: no client-side boxes over it.
    expect(await page.$eval('canvas.boxes', (c) => (c as HTMLCanvasElement).hidden)).toBe(true);
    await shot('04b-event-before-after');
  });

  it('moves to the next event with J and rejects it with a reason (R, then 1, Enter)', async () => {
    // Queue order: 0004, 0003, 0002, 0001 — from 0001, K goes back to 0002; use the stall without a clip.
    await page.goto(`${base}/#/events/evt-stall-0004`);
    await page.waitForSelector('.event-head');
    expect(await page.textContent('.media-tabs')).toContain('没有视频片段');
    await page.keyboard.press('r');
    await page.waitForSelector('dialog.modal[open]');
    await page.keyboard.press('1');
    await shot('05-reject-dialog');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.textContent('.event-head .pill')).toBe('已驳回');
    expect(fx.store.events.get('evt-stall-0004')!.status).toBe('rejected');
    const rejected = fx.store.events.timeline('evt-stall-0004').find((h) => h.action === 'reject');
    expect(rejected).toMatchObject({ actor: USERNAMES.operator, reason: 'shadow_lighting' });
    expect(await page.textContent('.timeline')).toContain('阴影/光照误报');
    // An operator cannot dispatch: the button is disabled.
    expect(await page.$eval('button[data-action=dispatch]', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
    await page.keyboard.press('j');
    await expect.poll(() => page.url()).toContain('evt-burn-0003');
    await shot('06-rejected-then-next');
  });

  it('dispatches a squad as a supervisor', async () => {
    await page.click('.user button');
    await page.waitForSelector('form.login-card');
    await login('supervisor');
    await page.click('.event-row[data-id="evt-dump-0002"]');
    await page.waitForSelector('button[data-action=dispatch]:not([disabled])');
    await page.keyboard.press('d');
    await page.waitForSelector('dialog.modal[open] input[name=squad]');
    await page.fill('dialog input[name=squad]', '二中队');
    await page.fill('dialog input[name=gridCell]', 'G-07');
    await page.fill('dialog textarea[name=note]', '滨河路垃圾堆放，请15分钟内到场');
    await shot('07-dispatch-dialog');
    await page.click('dialog button[type=submit]');
    await expect.poll(() => page.textContent('.event-head .pill')).toBe('已派遣');
    expect(fx.store.events.timeline('evt-dump-0002').find((h) => h.action === 'dispatch')).toMatchObject({ actor: USERNAMES.supervisor, squad: '二中队', gridCell: 'G-07' });
    await shot('08-dispatched');
  });

  it('shows a new event live, without reloading', async () => {
    await page.goto(`${base}/#/queue`);
    await page.waitForSelector('.event-row');
    await expect.poll(() => page.getAttribute('#live-dot', 'class')).toContain('on');
    const seeded = await makeSeededEvent(fx.dir, { id: 'evt-burn-0005', cameraId: 'cam-east-gate', zoneId: 'plaza', type: 'burning', agoMin: 1, peakScore: 0.88 }, Date.now());
    fx.store.apply(seeded.messages[0]!);
    await page.waitForSelector('.event-row[data-id="evt-burn-0005"]', { timeout: 10_000 });
    expect(await page.$$eval('.event-row', (rows) => (rows[0] as HTMLElement).dataset.id)).toBe('evt-burn-0005');
    await page.waitForSelector('.toast');
    await shot('09-live-new-event');
  });

  it('serves the constants the page shows from /api/meta', async () => {
    const meta = await page.evaluate(() => fetch('/api/meta').then((r) => r.json()));
    expect(meta.violations.map((v: { type: string; color: string; label: unknown }) => [v.type, v.color, v.label])).toEqual(
      Object.entries(VIOLATION_LABELS).map(([type, label]) => [type, BOX_COLORS[type as keyof typeof VIOLATION_LABELS], label]),
    );
    expect(meta.rejectReasons).toEqual(['shadow_lighting', 'wrong_object', 'permitted_activity', 'normal_here', 'duplicate', 'other']);
    expect(meta.squads).toContain('二中队');
    expect(meta.passwordMinLength).toBe(NewPassword.minLength);
    // The badges wear the same colours.
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(BOX_COLORS.burning.slice(i, i + 2), 16));
    await expect.poll(() => page.$eval('.filter[data-type=burning] .dot', (el) => getComputedStyle(el).backgroundColor)).toBe(`rgb(${r}, ${g}, ${b})`);
  });

  // What the pipeline names an event (camera.zone.type.start), not the seed's short ids; zone ids may use "_",
  // which gives the browser no place to break the line (the old layout spilled 181 px out of the window here).
  const longZone = 'sidewalk_north_market_entrance';
  const longId = eventId('cam-east-gate', longZone, 'stall', Date.now() - 90_000);
  const docWidth = () => page.evaluate(() => document.documentElement.scrollWidth);
  /** Elements of each row (or the bar) whose right edge lies past the row's own. */
  const spilled = () =>
    page.$$eval('.event-row, .topbar', (rows) =>
      rows.flatMap((row) => {
        const edge = row.getBoundingClientRect().right + 0.5;
        return Array.from(row.querySelectorAll<HTMLElement>('*'))
          .filter((c) => c.offsetParent !== null && c.getBoundingClientRect().right > edge)
          .map((c) => `${row.className} > ${c.className || c.tagName}`);
      }),
    );

  it('fits a 1440×900 window in both languages, the type counters labelled', async () => {
    const seeded = await makeSeededEvent(fx.dir, { id: longId, cameraId: 'cam-east-gate', zoneId: longZone, type: 'stall', agoMin: 2, peakScore: 0.93 }, Date.now());
    fx.store.apply(seeded.messages[0]!);
    await page.waitForSelector(`.event-row[data-id="${longId}"]`, { timeout: 10_000 });
    expect(page.viewportSize()).toEqual({ width: 1440, height: 900 });
    expect(await docWidth()).toBe(1440);
    expect(await spilled()).toEqual([]);

    await page.click('button.lang');
    await expect.poll(() => page.textContent('.nav')).toContain('Event queue');
    await page.waitForSelector('.event-row');
    expect(await page.textContent('.queue-list')).toContain('Waste burning');
    // Each counter keeps a visible name in English too, not only a coloured dot.
    await page.waitForSelector('#counts .count');
    const labels = await page.$$eval('#counts .count[data-type] .count-label', (els) => els.map((e) => ({ text: e.textContent, shown: (e as HTMLElement).offsetWidth > 0 })));
    expect(labels).toEqual([
      { text: 'Stall', shown: true },
      { text: 'Dumping', shown: true },
      { text: 'Burning', shown: true },
    ]);
    expect(await page.getAttribute('#counts .count[data-type=dumping]', 'title')).toBe('Illegal dumping');
    expect(await docWidth()).toBe(1440);
    expect(await spilled()).toEqual([]);
    await shot('10-queue-en');
    await page.click('button.lang');
    await page.waitForSelector('.event-row');
  });

  it('lays every page out on a 390-px phone', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      for (const [hash, ready] of [
        ['#/queue', '.event-row'],
        [`#/events/${encodeURIComponent(longId)}`, '.event-head'],
        ['#/events/evt-stall-0001', 'video#clip'],
        ['#/cameras', '.camera-card'],
      ] as const) {
        await page.goto(`${base}/${hash}`);
        await page.waitForSelector(ready);
        expect({ hash, width: await docWidth() }).toEqual({ hash, width: 390 });
        // Titles read as lines, not one word under the other: a long zone id may take a second line, no more.
        const lines = await page.$$eval('.row-title, .event-head h2, .camera-card h3', (els) =>
          Math.max(...els.map((e) => Math.round(e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)))),
        );
        expect(lines, hash).toBeLessThanOrEqual(2);
        await shot(`phone-${hash.split('/')[1]}`);
      }
      await page.goto(`${base}/#/queue`);
      await page.waitForSelector('.event-row');
      expect(await spilled()).toEqual([]);
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  it('lists cameras with state and no credentials', async () => {
    await page.goto(`${base}/#/cameras`);
    await page.waitForSelector('.camera-card');
    const text = await page.textContent('.camera-grid');
    expect(text).toContain('东门广场');
    // Failure reasons get a headline in the reader's language above ffmpeg's own words.
    expect(await page.textContent('[data-camera="cam-market-st"] .camera-reason .reason-head')).toContain('认证失败');
    expect(await page.textContent('[data-camera="cam-river-road"] .camera-reason .reason-head')).toContain('连接超时');
    expect(await page.textContent('[data-camera="cam-market-st"] .camera-reason .reason-raw')).toContain('401 Unauthorized');
    // Which worker runs it, since when, at what rate, and its open health alerts with their start.
    const east = '[data-camera="cam-east-gate"]';
    expect(await page.textContent(`${east} .camera-worker`)).toBe('worker-b7');
    expect(await page.textContent(`${east} .camera-fps`)).toBe('0.20');
    expect(await page.textContent(`${east} .camera-since`)).toContain('小时前');
    // How each camera is received: rtsp:// gets the in-process client by default, a file ffmpeg.
    expect(await page.textContent(`${east} .camera-transport`)).toBe('内置 RTSP 客户端 · 默认');
    expect(await page.getAttribute(`${east} .camera-transport`, 'title')).toBe('default for rtsp:// with keyframe decode');
    expect(await page.textContent('[data-camera="cam-market-st"] .camera-transport')).toBe('ffmpeg 进程 · 默认');
    // A worker that receives RTP over UDP (rtspTransport: udp) says so; the default (TCP) goes unsaid.
    expect(await page.textContent('[data-camera="cam-river-road"] .camera-transport')).toBe('内置 RTSP 客户端, RTP 经 UDP 传输 · 默认');
    expect(await page.getAttribute('[data-camera="cam-river-road"] .camera-transport', 'data-rtp')).toBe('udp');
    expect(await page.getAttribute(`${east} .camera-transport`, 'data-rtp')).toBe('tcp');
    expect(await page.textContent(`${east} .camera-alert[data-check=frozen]`)).toMatch(/画面冻结.*开始于.*2分钟前/);
    // …and in the top bar, on every page.
    expect(await page.isVisible('#alerts')).toBe(true);
    expect(await page.textContent('#alerts')).toContain('1 个摄像头告警');
    expect(await page.getAttribute('#alerts', 'title')).toContain('东门广场: 画面冻结');
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('hunter2');
    const html = await page.content();
    expect(html).not.toContain('s3cret');
    expect(html).not.toContain('hunter2');
    await shot('11-cameras');
  });

  it('opens a live view through the authenticated WebSocket, and stops it', async () => {
    await page.click('button[data-live="cam-demo-file"]');
    // jsmpeg is not bundled: the page shows the connection carrying data and says what is missing.
    // jsmpeg decoded a picture from the authenticated WebSocket into the canvas.
    await page.waitForSelector('[data-camera="cam-demo-file"] .live-status.playing', { state: 'attached', timeout: 20_000 });
    expect(liveView.active()).toEqual({ 'cam-demo-file': 1 });
    await shot('12-live-view');
    await page.click('button[data-live="cam-demo-file"]');
    await expect.poll(() => liveView.active(), { timeout: 10_000 }).toEqual({});
  });

  const newcomer = { username: 'wang.fang', password: 'wang-fang-passphrase-7' };
  const renewed = 'wang-fang-second-phrase-8';

  // It ends logged in as the new operator; the next test logs out first.
  it('lets only an admin list and add users, and the new operator logs in', async () => {
    const link = '.nav a[href="#/users"]';
    // Still the supervisor: no Users link, and the page itself says admins only.
    expect(await page.$(link)).toBeNull();
    await page.goto(`${base}/#/users`);
    await page.waitForSelector('.admins-only');
    expect(await page.textContent('.admins-only')).toContain('仅管理员');

    await page.click('.user button');
    await page.waitForSelector('form.login-card');
    await login('admin');
    await page.click(link);
    await page.waitForSelector('.users-table tbody tr');
    const rows = () =>
      page.$$eval('.users-table tbody tr', (trs) => trs.map((tr) => [(tr as HTMLElement).dataset.username, tr.querySelector('.role-tag')!.textContent]));
    expect(await rows()).toEqual([
      [USERNAMES.admin, '管理员'],
      [USERNAMES.supervisor, '值班长'],
      [USERNAMES.operator, '坐席员'],
    ]);
    // The form asks for what the server's NewPassword schema requires.
    const form = 'form.user-form';
    expect(Number(await page.getAttribute(`${form} input[name=password]`, 'minlength'))).toBe(NewPassword.minLength);
    expect(await page.textContent(form)).toContain(`至少 ${NewPassword.minLength} 个字符`);
    expect(await page.$eval(`${form} select[name=role]`, (s) => (s as HTMLSelectElement).value)).toBe('operator');

    // A name the server refuses (400): the field and its rule, in the reader's language, never the pattern.
    await page.fill(`${form} input[name=username]`, 'wang fang');
    await page.fill(`${form} input[name=password]`, newcomer.password);
    await page.click(`${form} button[type=submit]`);
    await expect.poll(() => page.textContent(`${form} .form-error`)).toContain('输入有误');
    const refused = await page.textContent(`${form} .form-error`);
    expect(refused).toContain('用户名');
    expect(refused).toContain('字母、数字');
    expect(refused).not.toMatch(/pattern|\^\[|\\p\{/);

    await page.fill(`${form} input[name=username]`, newcomer.username);
    await page.fill(`${form} input[name=password]`, newcomer.password);
    await page.click(`${form} button[type=submit]`);
    await page.waitForSelector(`.users-table tr[data-username="${newcomer.username}"]`);
    expect(await page.textContent('#toasts')).toContain(`已创建用户 ${newcomer.username}`);
    expect((await rows()).at(-1)).toEqual([newcomer.username, '坐席员']);
    expect(await page.textContent(`${form} .form-error`)).toBe('');
    expect(await page.inputValue(`${form} input[name=username]`)).toBe('');
    expect(await page.inputValue(`${form} input[name=password]`)).toBe('');
    expect(fx.store.users.list().find((u) => u.username === newcomer.username)).toMatchObject({ role: 'operator', disabled: false });

    // The same name again: 409, shown inline; the list is unchanged.
    await page.fill(`${form} input[name=username]`, newcomer.username);
    await page.fill(`${form} input[name=password]`, newcomer.password);
    await page.click(`${form} button[type=submit]`);
    await expect.poll(() => page.textContent(`${form} .form-error`)).toContain('用户名已存在');
    expect(await page.textContent(`${form} .form-error`)).toContain('already exists');
    expect(await rows()).toHaveLength(4);
    await shot('13-users');

    await page.click('.user button');
    await page.waitForSelector('form.login-card');
    await page.fill('input[name=username]', newcomer.username);
    await page.fill('input[name=password]', newcomer.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('.event-row');
    expect(await page.textContent('.user-name')).toBe(newcomer.username);
    expect(await page.textContent('.user .role-tag')).toBe('坐席员');
    expect(await page.$(link)).toBeNull();

    // Their own password, from the name in the top bar: a mismatch and a wrong current one are refused inline.
    const account = 'form.account-form';
    const changeTo = async (current: string, next: string, again = next) => {
      await page.fill(`${account} input[name=currentPassword]`, current);
      await page.fill(`${account} input[name=newPassword]`, next);
      await page.fill(`${account} input[name=newPasswordAgain]`, again);
      await page.click(`${account} button[type=submit]`);
    };
    await page.click('.user .user-name');
    await page.waitForSelector(account);
    await changeTo(newcomer.password, renewed, `${renewed}x`);
    await expect.poll(() => page.textContent(`${account} .form-error`)).toContain('不一致');
    await changeTo('not-the-password-at-all', renewed);
    // scrypt on a busy machine: give the server's answer time.
    await expect.poll(() => page.textContent(`${account} .form-error`), { timeout: 20_000 }).toContain('当前密码错误');
    await changeTo(newcomer.password, renewed);
    await expect.poll(() => page.textContent('#toasts'), { timeout: 20_000 }).toContain('密码已修改');
    expect(await page.textContent(`${account} .form-error`)).toBe('');
    await shot('14-account');
    await page.click('.user button');
    await page.waitForSelector('form.login-card');
    await page.fill('input[name=username]', newcomer.username);
    await page.fill('input[name=password]', renewed);
    await page.click('button[type=submit]');
    await page.waitForSelector('.event-row');
  });

  it('lets an admin disable (ending the session), re-enable, change a role, reset a password and delete; the audit log lists it all', async () => {
    // The newcomer works in a second browser while the admin manages the account.
    const theirs = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const them = await theirs.newPage();
    try {
      await them.goto(base);
      await them.fill('input[name=username]', newcomer.username);
      await them.fill('input[name=password]', renewed);
      await them.click('button[type=submit]');
      await them.waitForSelector('.event-row');

      await page.click('.user button');
      await page.waitForSelector('form.login-card');
      await login('admin');
      await page.click('.nav a[href="#/users"]');
      const row = `.users-table tr[data-username="${newcomer.username}"]`;
      await page.waitForSelector(row);
      // Not on one's own account: the server refuses (409 self), so the page does not offer it.
      const own = `.users-table tr[data-username="${USERNAMES.admin}"]`;
      expect(await page.$eval(`${own} button[data-act=disable]`, (b) => (b as HTMLButtonElement).disabled)).toBe(true);
      expect(await page.$eval(`${own} select[name=role]`, (b) => (b as HTMLSelectElement).disabled)).toBe(true);
      expect(await page.$eval(`${own} button[data-act=password]`, (b) => (b as HTMLButtonElement).disabled)).toBe(true);

      await page.click(`${row} button[data-act=disable]`);
      await expect.poll(() => page.textContent(`${row} .state-pill`)).toBe('已停用');
      expect(fx.store.users.list().find((u) => u.username === newcomer.username)?.disabled).toBe(true);
      // Their session ended: the next thing they open sends them to the login page.
      await them.goto(`${base}/#/cameras`);
      await them.waitForSelector('form.login-card', { timeout: 10_000 });
      expect(await them.evaluate(() => fetch('/api/me').then((r) => r.status))).toBe(401);

      await page.click(`${row} button[data-act=enable]`);
      await expect.poll(() => page.textContent(`${row} .state-pill`)).toBe('正常');
      await page.selectOption(`${row} select[name=role]`, 'supervisor');
      await expect.poll(() => page.textContent(`${row} .role-tag`)).toBe('值班长');
      expect(fx.store.users.list().find((u) => u.username === newcomer.username)?.role).toBe('supervisor');

      // A common password is refused in the dialog, in the reader's language; a passphrase is taken.
      await page.click(`${row} button[data-act=password]`);
      const dialog = 'dialog.modal[open]';
      await page.waitForSelector(dialog);
      const third = 'wang-fang-third-phrase-9';
      for (const [pw, again] of [['password1234', 'password1234'], [third, `${third}!`], [third, third]]) {
        await page.fill(`${dialog} input[name=password]`, pw!);
        await page.fill(`${dialog} input[name=passwordAgain]`, again!);
        await page.click(`${dialog} button[type=submit]`);
        if (pw === 'password1234') await expect.poll(() => page.textContent(`${dialog} .form-error`)).toContain('最常见的密码');
        else if (again !== pw) await expect.poll(() => page.textContent(`${dialog} .form-error`)).toContain('不一致');
      }
      await page.waitForSelector(dialog, { state: 'detached' });
      await expect.poll(() => page.textContent('#toasts')).toContain(`已重置 ${newcomer.username} 的密码`);
      expect(await fx.store.users.verifyLogin(newcomer.username, third)).toBeTruthy();

      // Delete asks first; cancelling keeps the account.
      await fx.store.users.create({ username: 'temp.helper', password: 'temp-helper-passphrase-1', role: 'operator' });
      await page.reload();
      const temp = '.users-table tr[data-username="temp.helper"]';
      await page.waitForSelector(temp);
      await page.click(`${temp} button[data-act=delete]`);
      await page.click(`${dialog} button.btn-ghost`);
      expect(await page.$(temp)).not.toBeNull();
      await page.click(`${temp} button[data-act=delete]`);
      await page.click(`${dialog} button[type=submit]`);
      await page.waitForSelector(temp, { state: 'detached' });
      expect(fx.store.users.list().some((u) => u.username === 'temp.helper')).toBe(false);
      await shot('15-users-admin');

      // The audit page: logins, reviewer actions and user changes, newest first, filterable.
      await page.click('.nav a[href="#/audit"]');
      await page.waitForSelector('.audit-table tbody tr');
      const actions = await page.$$eval('.audit-table tbody tr', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.action));
      for (const a of ['login.success', 'login.failure', 'event.reject', 'event.dispatch', 'user.create', 'user.disable', 'user.enable', 'user.role', 'user.password_reset', 'user.delete', 'password.change']) {
        expect(actions, a).toContain(a);
      }
      expect(await page.textContent('.audit-table')).toContain('驳回事件');
      await page.selectOption('.audit-filters select[name=action]', 'user.disable');
      await page.click('.audit-filters button[type=submit]');
      await expect.poll(() => page.$$eval('.audit-table tbody tr', (trs) => trs.map((tr) => [(tr as HTMLElement).dataset.action, tr.children[1]!.textContent, tr.children[4]!.textContent]))).toEqual([
        ['user.disable', USERNAMES.admin, newcomer.username],
      ]);
      expect(page.url()).toContain('action=user.disable');
      await page.fill('.audit-filters input[name=actor]', USERNAMES.operator);
      await page.selectOption('.audit-filters select[name=action]', '');
      await page.click('.audit-filters button[type=submit]');
      await expect.poll(() => page.$$eval('.audit-table tbody tr', (trs) => [...new Set(trs.map((tr) => tr.children[1]!.textContent))])).toEqual([USERNAMES.operator]);
      await shot('16-audit');
    } finally {
      await theirs.close();
    }
  });
});
