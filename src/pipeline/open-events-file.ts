import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { EventSchema, type PatrolEvent } from '../contracts/event.js';
import type { OpenEventsPort } from './camera-analyzer.js';

const OpenEventsFile = z.object({ cameraId: z.string(), events: z.array(EventSchema) });

/**
 * Open events per camera as small JSON files under `<storage>/state/open-events/`, replaced atomically
 * (write, then rename) so a crash leaves either the old or the new list, never half of one.
 */
export class OpenEventsFiles implements OpenEventsPort {
  private readonly dir: string;

  constructor(storageDir: string, private readonly onCorrupt?: (file: string, err: unknown) => void) {
    this.dir = join(storageDir, 'state', 'open-events');
    mkdirSync(this.dir, { recursive: true });
  }

  load(cameraId: string): PatrolEvent[] {
    const file = this.fileFor(cameraId);
    if (!existsSync(file)) return [];
    try {
      return OpenEventsFile.parse(JSON.parse(readFileSync(file, 'utf8'))).events;
    } catch (err) {
      this.onCorrupt?.(file, err);
      return [];
    }
  }

  save(cameraId: string, open: PatrolEvent[]): void {
    const file = this.fileFor(cameraId);
    if (open.length === 0) {
      if (existsSync(file)) unlinkSync(file);
      return;
    }
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ cameraId, events: open }));
    renameSync(tmp, file);
  }

  private fileFor(cameraId: string): string {
    return join(this.dir, `${encodeURIComponent(cameraId)}.json`);
  }
}
