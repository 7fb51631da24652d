import type { BookState } from "../domain/rules.js";

/** Stores full book snapshots (state includes its last applied seq). */
export interface SnapshotStore {
  save(state: BookState): Promise<void>;
  loadLatest(): Promise<BookState | null>;
}
