// What every view gets: the signed-in user, the server's constants, the translator, and navigation.
import type { Lang, Translate } from './i18n.js';
import type { Camera, Change, Meta, Stats, User, ViolationType } from './types.js';

export interface View {
  dispose?(): void;
  onKey?(e: KeyboardEvent): void;
}

export interface Ctx {
  lang: Lang;
  t: Translate;
  me: User | null;
  /** From /api/meta once signed in; views below the login page may rely on it. */
  meta: Meta;
  cameras: Camera[];
  stats: Stats | null;
  /** The queue as last listed (ids in order), for J/K on the event page. */
  queueIds: string[];
  queueQuery: string;
  live: boolean;
  cameraName(id: string): string;
  /** Box colour of a violation type, the same as the evidence snapshot's. */
  color(type: ViolationType | undefined): string;
  /** Text colour on that box colour, as the snapshot writes its labels. */
  labelColor(type: ViolationType | undefined): string;
  navigate(hash: string): void;
  setLang(lang: Lang): void;
  onChange(fn: (change: Change) => void): () => void;
  refreshStats(): Promise<void>;
}
