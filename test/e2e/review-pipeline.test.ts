/**
 * End to end, the way a command center uses Patrol: the production pipeline analyzes fixture video played
 * as two live cameras, raises dumping events with snapshots and clips, the dispatch queue feeds the review
 * store, and staff review them in Chromium — play a clip, reject one with a reason, dispatch the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { parseConfig } from '../../src/config/load-config.js';
import { createDispatchQueue } from '../../src/dispatch/create-queue.js';
import { createLogger } from '../../src/log/logger.js';
import { startPipeline } from '../../src/pipeline/pipeline.js';
import { ReviewStore } from '../../src/review/store/review-store.js';
import { consumeIntoStore } from '../../src/review/consumer.js';
import { ensureAdmin } from '../../src/review/auth/ensure-admin.js';
import { buildReviewServer } from '../../src/review/server.js';
import { fixtureVideo } from '../../support/fixture-video.js';
import { binsAsDumpingManifest } from '../support/test-model.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test/artifacts');
const ready = existsSync(CHROMIUM);
if (!ready) console.warn('[review-pipeline] skipped: needs /usr/bin/chromium');

const PASSWORD = { admin: 'admin-password-e2e', operator: 'operator-password-e2e', supervisor: 'supervisor-password-e2e' };

describe.skipIf(!ready)('review of events the pipeline produced', () => {
  let dir: string;
  let store: ReviewStore;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let base: string;
  let eventIds: string[];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'patrol-e2e-'));
    const storageDir = join(dir, 'var');
    // The bin fixture (patrol-det's bins count as dumping here, see test-model.ts), as two cameras playing in real time.
    const clip = join(dir, 'bin.ts');
    execFileSync('ffmpeg', ['-loglevel', 'error', '-ss', '30', '-i', fixtureVideo('bin_present', 'ts'), '-t', '60', '-c', 'copy', clip]);
    const config = parseConfig(
      `cameras:
  - { id: gate-1, name: 南门东侧, url: "file://${clip}", violations: [dumping], intervalSec: 1, scene: false }
  - { id: gate-2, name: 南门西侧, url: "file://${clip}", violations: [dumping], intervalSec: 1, scene: false }
detector: { manifest: ${binsAsDumpingManifest()} }
rules:
  dumping: { dwellSec: 3, hits: 2, window: 3, endAfterSec: 60, cooldownSec: 60 }
storage: { dir: ${storageDir} }
`,
      join(dir, 'e2e.yaml'),
      {},
    );
    const logger = createLogger({ level: 'warn', pretty: false });
    store = ReviewStore.open(storageDir);
    await ensureAdmin(store, { PATROL_ADMIN_PASSWORD: PASSWORD.admin });
    await store.users.create({ username: 'operator1', password: PASSWORD.operator, role: 'operator' });
    await store.users.create({ username: 'supervisor1', password: PASSWORD.supervisor, role: 'supervisor' });
    const queue = createDispatchQueue({ name: 'patrol-events', storageDir, logger });
    await consumeIntoStore(queue, store);
    const pipeline = await startPipeline({ config, logger, queue, mode: 'live' });
    const withClips = () => store.events.list({ limit: 10 }).items.filter((e) => e.evidence.clip);
    const deadline = Date.now() + 90_000;
    while (withClips().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    await pipeline.stop();
    await queue.close();
    eventIds = withClips().map((e) => e.id);
    expect(eventIds, 'two events with clips from the pipeline').toHaveLength(2);

    app = buildReviewServer({ store, storageDir, cameras: config.cameras });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (err) => console.error('[browser]', err.message));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function login(username: string, password: string) {
    await page.goto(`${base}/#/login`);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    await page.click('button[type=submit]');
    await page.waitForSelector('.event-row');
  }

  it('an operator sees the pipeline events, plays a clip and rejects one with a reason', async () => {
    await login('operator1', PASSWORD.operator);
    expect(await page.$$eval('.event-row', (rows) => rows.map((r) => (r as HTMLElement).dataset.id))).toEqual(expect.arrayContaining(eventIds));
    await page.screenshot({ path: join(ARTIFACTS, 'pipeline-01-queue.png') });

    await page.click(`.event-row[data-id="${eventIds[0]}"]`);
    await page.waitForSelector('video#clip');
    await page.waitForFunction(() => (document.querySelector('video#clip') as HTMLVideoElement).readyState >= 2, undefined, { timeout: 20_000 });
    const t0 = await page.$eval('video#clip', (v) => (v as HTMLVideoElement).currentTime);
    await page.waitForFunction((start) => (document.querySelector('video#clip') as HTMLVideoElement).currentTime > start + 0.3, t0, { timeout: 20_000 });
    // The clip is the camera's own H.264, cut without re-encoding: 704×576.
    expect(await page.$eval('video#clip', (v) => [(v as HTMLVideoElement).videoWidth, (v as HTMLVideoElement).videoHeight])).toEqual([704, 576]);
    await page.screenshot({ path: join(ARTIFACTS, 'pipeline-02-event-clip.png') });

    await page.keyboard.press('r');
    await page.waitForSelector('dialog.modal[open]');
    await page.keyboard.press('2');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.textContent('.event-head .pill')).toBe('已驳回');
    expect(store.events.get(eventIds[0]!)!.status).toBe('rejected');
    expect(store.events.timeline(eventIds[0]!).find((h) => h.action === 'reject')).toMatchObject({ actor: 'operator1', reason: 'wrong_object' });
  });

  it('a supervisor dispatches the other one to a squad', async () => {
    await page.click('.user button');
    await page.waitForSelector('form.login-card');
    await login('supervisor1', PASSWORD.supervisor);
    await page.click(`.event-row[data-id="${eventIds[1]}"]`);
    await page.waitForSelector('button[data-action=dispatch]:not([disabled])');
    await page.keyboard.press('d');
    await page.waitForSelector('dialog.modal[open] input[name=squad]');
    await page.fill('dialog input[name=squad]', '一中队');
    await page.fill('dialog textarea[name=note]', '南门西侧乱倒垃圾，请到场处置');
    await page.click('dialog button[type=submit]');
    await expect.poll(() => page.textContent('.event-head .pill')).toBe('已派遣');
    expect(store.events.timeline(eventIds[1]!).find((h) => h.action === 'dispatch')).toMatchObject({ actor: 'supervisor1', squad: '一中队' });
    await page.screenshot({ path: join(ARTIFACTS, 'pipeline-03-dispatched.png') });
  });
});
