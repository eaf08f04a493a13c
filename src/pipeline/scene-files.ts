import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeScene, encodeScene, type ScenePort } from '../scene/snapshot.js';
import type { SceneState } from '../scene/model.js';

/**
 * Scene models per camera under `<storage>/state/scene/`, replaced atomically (write, then rename). Saved
 * once a minute of analysis: ~200 KB a camera, a few writes a second at 150 cameras.
 */
export class SceneFiles implements ScenePort {
  readonly saveEveryMs = 60_000;
  private readonly dir: string;

  constructor(
    storageDir: string,
    private readonly onUnusable?: (file: string, reason: string) => void,
  ) {
    this.dir = join(storageDir, 'state', 'scene');
    mkdirSync(this.dir, { recursive: true });
  }

  load(cameraId: string): SceneState | undefined {
    const file = this.fileFor(cameraId);
    if (!existsSync(file)) return undefined;
    const decoded = decodeScene(readFileSync(file));
    if ('error' in decoded) {
      this.onUnusable?.(file, decoded.error);
      return undefined;
    }
    return decoded.state;
  }

  save(cameraId: string, state: SceneState): void {
    const file = this.fileFor(cameraId);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, encodeScene(state));
    renameSync(tmp, file);
  }

  private fileFor(cameraId: string): string {
    return join(this.dir, `${encodeURIComponent(cameraId)}.bin`);
  }
}
