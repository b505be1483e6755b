/**
 * The MCP server's scene store: lifted scenes by id, least recently used evicted first, capped by
 * count and by memory (the bytes of each scene's typed arrays and original images). An id that was
 * evicted says so when it is asked for, so an agent knows to lift again rather than suspect a typo.
 */
import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { LiftedScene } from '../api.js';
import { VantageError } from '../../core/errors.js';
import { MCP_LIMITS } from './config.js';

export interface SceneStoreLimits {
  /** all scenes together, bytes */
  maxBytes: number;
  /** scenes kept at once */
  maxScenes: number;
  /** one scene, bytes: a larger one is refused rather than evicting everything */
  maxSceneBytes: number;
}

export interface StoredScene {
  id: string;
  lifted: LiftedScene;
  bytes: number;
  /** what it was lifted from, in words */
  source: string;
  createdAt: string;
}

/** Memory a lifted scene holds: the Gaussians' typed arrays, the original images and their depth. */
export function liftedSceneBytes(lifted: LiftedScene): number {
  const s = lifted.scene;
  const arrays = [s.positions, s.colors, s.scales, s.rotations, s.opacities];
  return (
    arrays.reduce((a, x) => a + x.byteLength, 0) +
    lifted.originals.reduce((a, o) => a + o.rgb.byteLength + (o.depth?.byteLength ?? 0), 0)
  );
}

const MB = (n: number) => `${(n / 1024 ** 2).toFixed(1)} MB`;

export class SceneStore {
  readonly limits: SceneStoreLimits;
  /** lru-cache keeps recency and the two caps (count and bytes); eviction records the id */
  private readonly scenes: LRUCache<string, StoredScene>;
  /** ids evicted lately, so a late request hears "evicted" rather than "unknown" */
  private readonly evicted = new LRUCache<string, true>({ max: MCP_LIMITS.rememberEvicted });

  constructor(limits: Partial<SceneStoreLimits> = {}) {
    this.limits = {
      maxBytes: limits.maxBytes ?? MCP_LIMITS.storeBytes,
      maxScenes: limits.maxScenes ?? MCP_LIMITS.storeScenes,
      maxSceneBytes: Math.min(
        limits.maxSceneBytes ?? MCP_LIMITS.maxSceneBytes,
        limits.maxBytes ?? MCP_LIMITS.storeBytes,
      ),
    };
    if (!(this.limits.maxScenes >= 1))
      throw new VantageError('bad-option', `scene store must hold at least 1 scene, not ${this.limits.maxScenes}`);
    this.scenes = new LRUCache<string, StoredScene>({
      max: this.limits.maxScenes,
      maxSize: this.limits.maxBytes,
      sizeCalculation: (rec) => Math.max(1, rec.bytes),
      dispose: (_rec, id, reason) => {
        if (reason === 'evict') this.evicted.set(id, true);
      },
    });
  }

  /** The scene is refused (VantageError 'scene-too-large') if it alone is over the per-scene cap. */
  checkSize(bytes: number): void {
    if (bytes > this.limits.maxSceneBytes) {
      throw new VantageError(
        'scene-too-large',
        `the lifted scene needs ${MB(bytes)}, over the ${MB(this.limits.maxSceneBytes)} a scene may use`,
        'lift a smaller image (or fewer frames), or start the server with a larger --max-scene-memory',
      );
    }
  }

  /** Store a scene; evicts the least recently used ones until it fits. Returns its record. */
  add(lifted: LiftedScene, source: string): StoredScene {
    const bytes = liftedSceneBytes(lifted);
    this.checkSize(bytes);
    const id = `scn_${randomBytes(6).toString('hex')}`;
    const rec: StoredScene = { id, lifted, bytes, source, createdAt: new Date().toISOString() };
    this.scenes.set(id, rec);
    return rec;
  }

  /** The scene with this id, now the most recently used; a VantageError for unknown or evicted ids. */
  get(id: string): StoredScene {
    const rec = this.scenes.get(id);
    if (!rec) {
      if (this.evicted.has(id)) {
        throw new VantageError(
          'scene-evicted',
          `scene ${id} was evicted to make room for newer scenes`,
          'call lift_scene again with the same input to get a new scene id',
        );
      }
      throw new VantageError('unknown-scene', `no scene with id "${id}"`, 'use a scene_id returned by lift_scene');
    }
    return rec;
  }

  /** Ids from least to most recently used. */
  ids(): string[] {
    return [...this.scenes.rkeys()];
  }

  get size(): number {
    return this.scenes.size;
  }

  get bytes(): number {
    return this.scenes.calculatedSize;
  }
}
