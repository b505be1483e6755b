/**
 * The WebGPU renderer: all host code that records the passes of shaders/*.wgsl, in one place.
 *
 * gaussians (two submits; the number of (tile, splat) entries is read back in between):
 *   1. preprocess   project splats → Projected, tile rectangles, visible depth range, entry count
 *   2. depth_keys   quantised depth per splat (culled ones last)
 *   3. radix sort   stable, 4 bits a pass: splats front to back (histogram → scan → scatter)
 *   ── read back the number of entries: refuse what cannot fit, size the entry buffer ──
 *   4. bin_count    blocks of that order count their splats per tile → (tile, block) counters
 *   5. scan         exclusive prefix sum of the counters, tile-major → first slot of each
 *   6. bin_scatter  every splat into every tile it touches: each tile's list is front to back
 *   7. rasterize    one workgroup per tile composites its list front to back
 * Sorting N splats once and binning them stably costs far less than sorting every (tile, splat)
 * entry by a (tile | depth) key, the 3DGS way (measured on lavapipe: ~5× less sort work).
 * points (one submit): depthPass → indexPass → resolve_points.
 * Both end by copying rgba (alpha = coverage) and depth to a mappable buffer; holes.ts runs after.
 *
 * The scene's buffers are uploaded once and cached per Scene object (scenes are treated as
 * immutable); per-frame work buffers grow as needed and are reused. dispose() destroys everything.
 */
import type { Camera, RenderOptions, RenderedView, Renderer, Scene } from '../core/types.js';
import { GPU_KERNELS, RENDER_TUNING } from './config.js';
import { VantageError } from '../core/errors.js';
import type { GpuContext } from './device.js';
import { finishView, frameSetup, unorm8, type FrameSetup } from './render-frame.js';
import { STAGES, bindingEntries, type StageName, type StageResources } from './gpu-stages.js';
import { shaderSource, shadersDir } from './shaders.js';

const { scanBlock: SCAN_BLOCK, sortBlock: SORT_BLOCK, binCounters: BIN_COUNTERS, radixBits: RADIX_BITS } = GPU_KERNELS;
const { uniformSlot: UNIFORM_SLOT, uniformSlots: UNIFORM_SLOTS, frameBytes: FRAME_BYTES } = GPU_KERNELS;

interface SceneBuffers {
  count: number;
  posOpacity: GPUBuffer;
  scales: GPUBuffer;
  rotations: GPUBuffer;
  colors: GPUBuffer;
}

const splatBindings = ({ posOpacity, scales, rotations, colors }: SceneBuffers) => ({
  posOpacity,
  scales,
  rotations,
  colors,
});

type PipelineName = StageName;
/** What a binding takes: a buffer, or a uniform block of the frame's arena. */
type Resource = GPUBuffer | UniformSlot;

/** A uniform block's place in the frame's uniform buffer. */
class UniformSlot {
  constructor(
    readonly offset: number,
    readonly size: number,
  ) {}
}

/** Per-frame uniforms, each in its own 256-byte slot of one buffer, written once per submit. */
class UniformArena {
  private data = new ArrayBuffer(0);
  private used = 0;
  buffer: GPUBuffer | undefined;

  reset(): void {
    this.used = 0;
  }

  /** Reserve a slot and fill it; returns its binding resource. */
  slot(bytes: ArrayBuffer): UniformSlot {
    const offset = this.used;
    this.used += UNIFORM_SLOT;
    if (this.data.byteLength < this.used) {
      const grown = new ArrayBuffer(Math.max(this.used, 2 * this.data.byteLength));
      new Uint8Array(grown).set(new Uint8Array(this.data));
      this.data = grown;
    }
    new Uint8Array(this.data, offset, bytes.byteLength).set(new Uint8Array(bytes));
    return new UniformSlot(offset, bytes.byteLength);
  }

  get bytesUsed(): number {
    return this.used;
  }

  upload(queue: GPUQueue): void {
    if (this.buffer && this.used) queue.writeBuffer(this.buffer, 0, this.data, 0, this.used);
  }
}

/**
 * Records the dispatches of one submit into a single compute pass. When profiling, each dispatch
 * becomes its own command buffer instead, so that the renderer can submit them one by one and
 * measure each (wall and process CPU time: on a busy CPU-only machine CPU time is the steadier figure).
 */
class Recorder {
  private encoder: GPUCommandEncoder;
  private pass: GPUComputePassEncoder | undefined;
  /** profiling: the finished pieces so far, each with its label */
  readonly pieces: { label: string; commands: GPUCommandBuffer }[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly profiling: boolean,
  ) {
    this.encoder = device.createCommandEncoder();
  }

  dispatch(label: string, pipeline: GPUComputePipeline, bindGroup: GPUBindGroup, gx: number, gy: number): void {
    if (this.profiling) this.cut('(copies)');
    this.pass ??= this.encoder.beginComputePass();
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(gx, gy);
    if (this.profiling) this.cut(label);
  }

  /** Commands outside compute passes (clears, copies) end the open pass first. */
  outsidePass(): GPUCommandEncoder {
    this.pass?.end();
    this.pass = undefined;
    return this.encoder;
  }

  /** Everything recorded, as command buffers in order. */
  finish(): { label: string; commands: GPUCommandBuffer }[] {
    this.cut('(copies)');
    return this.pieces;
  }

  private cut(label: string): void {
    this.outsidePass();
    this.pieces.push({ label, commands: this.encoder.finish() });
    this.encoder = this.device.createCommandEncoder();
  }
}

/** Workgroup grid for `groups` workgroups: 2D when one dimension would exceed the device limit. */
export function workgroupGrid(groups: number, maxPerDim: number): [number, number] {
  if (groups <= maxPerDim) return [groups, 1];
  const y = Math.ceil(groups / maxPerDim);
  if (y > maxPerDim)
    throw new VantageError('render-too-large', `${groups} workgroups exceed the device's dispatch limits`);
  return [Math.ceil(groups / y), y];
}

function u32s(...values: number[]): ArrayBuffer {
  return Uint32Array.from(values).buffer;
}

export class WebGpuRenderer implements Renderer {
  readonly kind = 'webgpu' as const;
  /** Held for the renderer's whole life: Dawn crashes if the instance/adapter/device are collected mid-map. */
  readonly gpu: GpuContext;
  /** whether dispose() destroys the device (false: it is borrowed, its owner destroys it) */
  private readonly ownsDevice: boolean;
  private readonly device: GPUDevice;
  private readonly pipelines: Map<PipelineName, GPUComputePipeline>;
  private readonly scenes = new Map<Scene, SceneBuffers>();
  private readonly work = new Map<string, GPUBuffer>();
  private readonly arena = new UniformArena();
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;
  private readonly profiling: boolean;
  /** whether the rasteriser shares splats between lanes by subgroup shuffles */
  readonly usesSubgroups: boolean;
  private readonly maxGroupsPerDimension: number;
  /** profiling: per stage, summed wall and process CPU milliseconds */
  private readonly profile = new Map<string, { wallMs: number; cpuMs: number }>();

  /** Use createWebGpuRenderer(), which compiles the pipelines first. */
  constructor(gpu: GpuContext, pipelines: Map<PipelineName, GPUComputePipeline>, options: WebGpuRendererOptions = {}) {
    this.gpu = gpu;
    this.device = gpu.device;
    this.pipelines = pipelines;
    this.profiling = options.profile ?? false;
    this.ownsDevice = options.ownsDevice ?? false;
    this.usesSubgroups = options.subgroups ?? false;
    this.maxGroupsPerDimension = Math.min(
      gpu.device.limits.maxComputeWorkgroupsPerDimension,
      options.maxWorkgroupsPerDimension ?? Infinity,
    );
  }

  /**
   * Milliseconds per stage (wall and process CPU) summed since the last call, then reset; only a
   * renderer created with `profile: true` measures (it submits and waits for every dispatch).
   * Stages are the pipeline names (preprocess, radixScatter, rasterize, …).
   */
  takeProfile(): Record<string, { wallMs: number; cpuMs: number }> {
    const out = Object.fromEntries(this.profile);
    this.profile.clear();
    return out;
  }

  /** Renders one view. Calls are serialised: the work buffers are shared between frames. */
  render(scene: Scene, camera: Camera, options: RenderOptions): Promise<RenderedView> {
    const run = this.queue.then(() => this.renderNow(scene, camera, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Upload the scene's buffers now (queued like a render), so that its first view costs less. */
  prepare(scene: Scene): Promise<void> {
    const run = this.queue.then(() => {
      if (!this.disposed) this.sceneBuffers(scene);
    });
    this.queue = run.catch(() => undefined);
    return run.catch(() => undefined);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of this.scenes.values()) this.destroyScene(s);
    this.scenes.clear();
    for (const b of this.work.values()) b.destroy();
    this.work.clear();
    this.arena.buffer?.destroy();
    if (this.ownsDevice) this.gpu.destroy();
  }

  private async renderNow(scene: Scene, camera: Camera, options: RenderOptions): Promise<RenderedView> {
    if (this.disposed) throw new VantageError('renderer-disposed', 'this renderer was disposed; create a new one');
    const f = frameSetup(scene, camera, options);
    const out = await this.gpu.runChecked(
      `rendering ${scene.count} splats (${options.mode}) at ${f.width}×${f.height}`,
      async () => {
        const buffers = this.sceneBuffers(scene);
        return options.mode === 'points' ? this.renderPoints(f, buffers) : this.renderGaussians(f, buffers);
      },
    );
    // The GPU writes coverage into alpha; the view's alpha is 255 everywhere.
    const n = f.width * f.height;
    const coverage = new Uint8Array(n);
    for (let p = 0; p < n; p++) {
      coverage[p] = out.rgba[4 * p + 3] >= 128 ? 1 : 0;
      out.rgba[4 * p + 3] = 255;
    }
    return finishView({ rgba: out.rgba, depth: out.depth, coverage }, f, options, 'webgpu');
  }

  // ── gaussians ────────────────────────────────────────────────────────────────────────────────

  private async renderGaussians(f: FrameSetup, s: SceneBuffers): Promise<{ rgba: Uint8Array; depth: Float32Array }> {
    const n = s.count;
    const px = f.width * f.height;
    const { STORAGE: S, COPY_DST, COPY_SRC } = this.gpu.constants.usage;
    const tiles = f.tilesX * f.tilesY;
    // Binning blocks: enough to spread the walk over many invocations, few enough that the
    // (tile, block) counters stay small.
    const bins = Math.max(1, Math.min(Math.ceil(n / 256), Math.floor(BIN_COUNTERS / tiles)));
    const projected = this.workBuffer('projected', 32 * n, S);
    const rects = this.workBuffer('rects', 8 * n, S);
    const stats = this.workBuffer('stats', 16, S | COPY_DST | COPY_SRC);
    const keys = this.workBuffer('keys', 4 * n, S);
    const values = this.workBuffer('values', 4 * n, S);
    const counts = this.workBuffer('binCounts', 4 * tiles * bins, S | COPY_DST);
    const color = this.workBuffer('outColor', 4 * px, S | COPY_SRC);
    const depth = this.workBuffer('outDepth', 4 * px, S | COPY_SRC);

    this.arena.reset();
    const frame = this.frameSlot(f, n, bins);
    // Submit 1: project, sort splats front to back.
    const rec = this.recorder();
    let order = values;
    if (n > 0) {
      this.device.queue.writeBuffer(stats, 0, u32s(0x7f7fffff, 0, 0, 0));
      const groups = Math.ceil(n / 256);
      this.dispatch(rec, 'preprocess', { frame, ...splatBindings(s), projected, rects, stats }, groups);
      this.dispatch(rec, 'depthKeys', { frame, projected, rects, stats, keys, values }, groups);
      order = this.encodeRadixSort(rec, keys, values, n, f.depthBits).values;
    }
    await this.submit(rec);
    const st = n > 0 ? new Uint32Array(await this.readBack([[stats, 16]])) : new Uint32Array(4);
    // stats[2] counts entries mod 2³²; stats[3] ≈ entries / 256 cannot wrap. When it reaches 2²⁴
    // there are billions of entries: more than any device can bind, whatever stats[2] says.
    const entries = st[3] >= 2 ** 24 ? Infinity : st[2];
    const maxBinding = this.device.limits.maxStorageBufferBindingSize;
    if (4 * entries > maxBinding) {
      throw new VantageError(
        'render-too-large',
        `${Number.isFinite(entries) ? entries : 'over 4 billion'} (tile, splat) entries exceed this GPU's storage binding limit (${maxBinding} bytes): splats cover too much of the image`,
        'render a smaller image, move the camera away from the splats, or use points mode',
      );
    }

    // Submit 2: bin the ordered splats into tiles (count, scan, scatter), rasterise, copy out.
    const binned = this.workBuffer('entries', 4 * entries, S);
    const rec2 = this.recorder();
    rec2.outsidePass().clearBuffer(counts, 0, 4 * tiles * bins);
    if (entries > 0) {
      this.dispatch(rec2, 'binCount', { frame, order, rects, counts }, Math.ceil(bins / 64));
      this.encodeScan(rec2, counts, tiles * bins);
      this.dispatch(rec2, 'binScatter', { frame, order, rects, counts, entries: binned }, Math.ceil(bins / 64));
    }
    const raster = { frame, projected, entries: binned, binEnds: counts, outColor: color, outDepth: depth };
    this.dispatch(rec2, 'rasterize', raster, [f.tilesX, f.tilesY]);
    await this.submit(rec2);
    return this.readOutputs(color, depth, px);
  }

  /** Exclusive prefix sum of `count` u32 in place. */
  private encodeScan(rec: Recorder, data: GPUBuffer, count: number, level = 0): void {
    const blocks = Math.ceil(count / SCAN_BLOCK);
    const params = this.uniform(u32s(count, 0, 0, 0));
    if (blocks <= 1) {
      const sums = this.workBuffer('scanTotal', 4, this.gpu.constants.usage.STORAGE);
      this.dispatch(rec, 'scanBlocks', { params, data, sums }, 1);
      return;
    }
    const sums = this.workBuffer(`scanSums${level}`, 4 * blocks, this.gpu.constants.usage.STORAGE);
    this.dispatch(rec, 'scanBlocks', { params, data, sums }, blocks);
    this.encodeScan(rec, sums, blocks, level + 1);
    this.dispatch(rec, 'scanAdd', { params, data, sums }, blocks);
  }

  /** Stable LSD radix sort of (key, value) pairs on the low `keyBits` bits; returns where they ended. */
  private encodeRadixSort(
    rec: Recorder,
    keys: GPUBuffer,
    values: GPUBuffer,
    count: number,
    keyBits: number,
  ): { keys: GPUBuffer; values: GPUBuffer } {
    const S = this.gpu.constants.usage.STORAGE;
    const keysB = this.workBuffer('keysB', 4 * count, S);
    const valsB = this.workBuffer('valuesB', 4 * count, S);
    const blocks = Math.ceil(count / SORT_BLOCK);
    const histCount = (1 << RADIX_BITS) * blocks;
    const hist = this.workBuffer('radixHist', 4 * histCount, S);
    let src = { keys, values };
    let dst = { keys: keysB, values: valsB };
    for (let shift = 0; shift < keyBits; shift += RADIX_BITS) {
      const params = this.uniform(u32s(count, shift, blocks, 0));
      this.dispatch(rec, 'radixHistogram', { params, keys: src.keys, hist }, blocks);
      this.encodeScan(rec, hist, histCount);
      const io = { keysIn: src.keys, valuesIn: src.values, keysOut: dst.keys, valuesOut: dst.values };
      this.dispatch(rec, 'radixScatter', { params, hist, ...io }, blocks);
      [src, dst] = [dst, src];
    }
    return src;
  }

  // ── points ───────────────────────────────────────────────────────────────────────────────────

  private async renderPoints(f: FrameSetup, s: SceneBuffers): Promise<{ rgba: Uint8Array; depth: Float32Array }> {
    const px = f.width * f.height;
    const { STORAGE: S, COPY_DST, COPY_SRC } = this.gpu.constants.usage;
    const zbuf = this.workBuffer('pointsDepth', 4 * px, S | COPY_DST);
    const ibuf = this.workBuffer('pointsIndex', 4 * px, S | COPY_DST);
    const color = this.workBuffer('outColor', 4 * px, S | COPY_SRC);
    const depth = this.workBuffer('outDepth', 4 * px, S | COPY_SRC);
    this.arena.reset();
    const frame = this.frameSlot(f, s.count);
    const rec = this.recorder();
    rec.outsidePass().clearBuffer(zbuf, 0, 4 * px);
    rec.outsidePass().clearBuffer(ibuf, 0, 4 * px);
    if (s.count > 0) {
      const groups = Math.ceil(s.count / 256);
      const { posOpacity, scales } = s;
      this.dispatch(rec, 'pointsDepth', { frame, posOpacity, scales, zbuf }, groups);
      this.dispatch(rec, 'pointsIndex', { frame, posOpacity, scales, zbuf, ibuf }, groups);
    }
    const resolve = { frame, colors: s.colors, zbuf, ibuf, outColor: color, outDepth: depth };
    this.dispatch(rec, 'resolvePoints', resolve, Math.ceil(px / 256));
    await this.submit(rec);
    return this.readOutputs(color, depth, px);
  }

  // ── plumbing ─────────────────────────────────────────────────────────────────────────────────

  /** Upload (once) and cache the scene's buffers; the oldest cached scene is evicted beyond the cache size. */
  private sceneBuffers(scene: Scene): SceneBuffers {
    const cached = this.scenes.get(scene);
    if (cached && cached.count === scene.count) {
      this.scenes.delete(scene); // re-insert: most recently used last
      this.scenes.set(scene, cached);
      return cached;
    }
    if (cached) this.destroyScene(cached);
    const n = scene.count;
    const maxBinding = this.device.limits.maxStorageBufferBindingSize;
    if (16 * n > maxBinding) {
      throw new VantageError(
        'render-too-large',
        `${n} splats exceed this GPU's storage binding limit (${maxBinding} bytes, ${Math.floor(maxBinding / 16)} splats)`,
        'downsample the scene, or render with the reference renderer',
      );
    }
    const posOpacity = new Float32Array(4 * n);
    const colors = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      posOpacity[4 * i] = scene.positions[3 * i];
      posOpacity[4 * i + 1] = scene.positions[3 * i + 1];
      posOpacity[4 * i + 2] = scene.positions[3 * i + 2];
      posOpacity[4 * i + 3] = scene.opacities[i];
      // pack4x8unorm(rgb, 0): the same 8-bit quantisation as the reference renderer
      colors[i] =
        (unorm8(scene.colors[3 * i]) |
          (unorm8(scene.colors[3 * i + 1]) << 8) |
          (unorm8(scene.colors[3 * i + 2]) << 16)) >>>
        0;
    }
    const upload = (data: Float32Array | Uint32Array, label: string): GPUBuffer => {
      const buf = this.device.createBuffer({
        label,
        size: Math.max(16, data.byteLength),
        usage: this.gpu.constants.usage.STORAGE | this.gpu.constants.usage.COPY_DST,
      });
      if (data.byteLength) this.device.queue.writeBuffer(buf, 0, data.buffer, data.byteOffset, data.byteLength);
      return buf;
    };
    const buffers: SceneBuffers = {
      count: n,
      posOpacity: upload(posOpacity, 'posOpacity'),
      scales: upload(Float32Array.from(scene.scales.subarray(0, 3 * n)), 'scales'),
      rotations: upload(Float32Array.from(scene.rotations.subarray(0, 4 * n)), 'rotations'),
      colors: upload(colors, 'colors'),
    };
    this.scenes.set(scene, buffers);
    while (this.scenes.size > RENDER_TUNING.sceneCacheSize) {
      const [oldest, b] = this.scenes.entries().next().value as [Scene, SceneBuffers];
      this.destroyScene(b);
      this.scenes.delete(oldest);
    }
    return buffers;
  }

  private destroyScene(s: SceneBuffers): void {
    for (const b of [s.posOpacity, s.scales, s.rotations, s.colors]) b.destroy();
  }

  /** A reusable work buffer of at least `bytes`, grown (by 1.25×) when too small. */
  private workBuffer(name: string, bytes: number, usage: number): GPUBuffer {
    const need = Math.max(16, Math.ceil(bytes / 4) * 4);
    const have = this.work.get(name);
    if (have && have.size >= need && have.usage === usage) return have;
    have?.destroy();
    // Headroom so that slowly growing frames do not reallocate every time, within the binding limit.
    const size = Math.min(
      Math.ceil((need * 1.25) / 4) * 4,
      Math.max(need, this.device.limits.maxStorageBufferBindingSize),
    );
    const buf = this.device.createBuffer({ label: name, size, usage });
    this.work.set(name, buf);
    return buf;
  }

  private frameSlot(f: FrameSetup, count: number, bins = 0): UniformSlot {
    return this.uniform(frameUniform(f, count, bins));
  }

  private uniform(bytes: ArrayBuffer): UniformSlot {
    return this.arena.slot(bytes);
  }

  /** Bind resources (buffers, or uniform slots of the arena) by their names in the stage table and dispatch. */
  private dispatch<N extends PipelineName>(
    rec: Recorder,
    name: N,
    resources: StageResources<N, Resource>,
    groups: number | [number, number],
  ): void {
    const pipeline = this.pipelines.get(name)!;
    const [gx, gy] = typeof groups === 'number' ? workgroupGrid(groups, this.maxGroupsPerDimension) : groups;
    if (gx === 0 || gy === 0) return;
    const entries: GPUBindGroupEntry[] = bindingEntries(name, resources).map(([binding, r]) => ({
      binding,
      resource:
        r instanceof UniformSlot ? { buffer: this.arenaBuffer(), offset: r.offset, size: r.size } : { buffer: r },
    }));
    rec.dispatch(
      name,
      pipeline,
      this.device.createBindGroup({ label: name, layout: pipeline.getBindGroupLayout(0), entries }),
      gx,
      gy,
    );
  }

  /**
   * The arena's GPU buffer, big enough for every slot a frame may use. Bind groups reference it
   * before its contents are written (at submit), so it must not be replaced within a frame: it is
   * sized generously up front and only grown between frames.
   */
  private arenaBuffer(): GPUBuffer {
    const need = UNIFORM_SLOTS * UNIFORM_SLOT;
    if (!this.arena.buffer) {
      this.arena.buffer = this.device.createBuffer({
        label: 'uniforms',
        size: need,
        usage: this.gpu.constants.usage.UNIFORM | this.gpu.constants.usage.COPY_DST,
      });
    }
    return this.arena.buffer;
  }

  private recorder(): Recorder {
    return new Recorder(this.device, this.profiling);
  }

  /** Upload the frame's uniforms and submit; when profiling, submit piece by piece and time each. */
  private async submit(rec: Recorder): Promise<void> {
    if (this.arena.bytesUsed > (this.arena.buffer?.size ?? 0)) {
      throw new VantageError(
        'render-too-large',
        `this frame needs ${this.arena.bytesUsed / UNIFORM_SLOT} uniform slots; the renderer has ${UNIFORM_SLOTS}`,
      );
    }
    this.arena.upload(this.device.queue);
    const pieces = rec.finish();
    if (!this.profiling) {
      this.device.queue.submit(pieces.map((p) => p.commands));
      return;
    }
    for (const { label, commands } of pieces) {
      const wall = performance.now();
      const cpu = process.cpuUsage();
      this.device.queue.submit([commands]);
      await this.gpu.wait(this.device.queue.onSubmittedWorkDone());
      const used = process.cpuUsage(cpu);
      const acc = this.profile.get(label) ?? { wallMs: 0, cpuMs: 0 };
      acc.wallMs += performance.now() - wall;
      acc.cpuMs += (used.user + used.system) / 1000;
      this.profile.set(label, acc);
    }
  }

  private async readOutputs(
    color: GPUBuffer,
    depth: GPUBuffer,
    px: number,
  ): Promise<{ rgba: Uint8Array; depth: Float32Array }> {
    const bytes = await this.readBack([
      [color, 4 * px],
      [depth, 4 * px],
    ]);
    return { rgba: new Uint8Array(bytes, 0, 4 * px), depth: new Float32Array(bytes, 4 * px, px) };
  }

  /** Copy [buffer, bytes] pieces back-to-back into one mappable buffer, map it, return a copy. */
  private async readBack(pieces: [GPUBuffer, number][]): Promise<ArrayBuffer> {
    const total = pieces.reduce((s, [, b]) => s + b, 0);
    const { MAP_READ, COPY_DST } = this.gpu.constants.usage;
    const staging = this.workBuffer(`readback${pieces.length}`, total, MAP_READ | COPY_DST);
    const enc = this.device.createCommandEncoder();
    let offset = 0;
    for (const [buf, bytes] of pieces) {
      enc.copyBufferToBuffer(buf, 0, staging, offset, bytes);
      offset += bytes;
    }
    this.device.queue.submit([enc.finish()]);
    await this.gpu.wait(staging.mapAsync(this.gpu.constants.mapRead, 0, total));
    const copy = staging.getMappedRange(0, total).slice(0);
    staging.unmap();
    return copy;
  }
}

/** struct Frame of shaders/common.wgsl. */
export function frameUniform(f: FrameSetup, count: number, bins: number): ArrayBuffer {
  const buf = new ArrayBuffer(FRAME_BYTES);
  const fl = new Float32Array(buf);
  const u = new Uint32Array(buf);
  const m = f.w2c;
  for (let r = 0; r < 3; r++) {
    fl[4 * r] = m[r];
    fl[4 * r + 1] = m[4 + r];
    fl[4 * r + 2] = m[8 + r];
    fl[4 * r + 3] = m[12 + r];
  }
  fl[12] = f.fx;
  fl[13] = f.fy;
  fl[14] = f.cx;
  fl[15] = f.cy;
  u[16] = f.width;
  u[17] = f.height;
  u[18] = f.tilesX;
  u[19] = f.tilesY;
  fl[20] = f.limLo[0];
  fl[21] = f.limLo[1];
  fl[22] = f.limHi[0];
  fl[23] = f.limHi[1];
  fl[24] = f.background[0];
  fl[25] = f.background[1];
  fl[26] = f.background[2];
  fl[27] = 1;
  u[28] = count;
  fl[29] = f.near;
  u[30] = f.depthBits;
  u[31] = bins;
  return buf;
}

/** Compile every stage of the stage table into a compute pipeline (errors become VantageErrors). */
async function createPipelines(gpu: GpuContext, useSubgroups: boolean): Promise<Map<PipelineName, GPUComputePipeline>> {
  const dir = shadersDir();
  return gpu.runChecked('compiling the render shaders', async () => {
    const modules = new Map<string, GPUShaderModule>();
    const pipelines = await Promise.all(
      (Object.keys(STAGES) as PipelineName[]).map(async (name) => {
        const stage = STAGES[name];
        const file = useSubgroups && 'subgroupFile' in stage ? stage.subgroupFile : stage.file;
        let module = modules.get(file);
        if (!module) {
          module = gpu.device.createShaderModule({ label: file, code: shaderSource(file, dir, stage.common) });
          modules.set(file, module);
        }
        // TILE (common.wgsl) sizes the rasteriser's workgroups and the binning.
        const constants: Record<string, number> = stage.common
          ? { ...stage.constants, TILE: RENDER_TUNING.tileSize }
          : { ...stage.constants };
        try {
          const pipeline = await gpu.wait(
            gpu.device.createComputePipelineAsync({
              label: name,
              layout: 'auto',
              compute: { module, entryPoint: stage.entry, constants },
            }),
          );
          return [name, pipeline] as const;
        } catch (e) {
          const info = await gpu.wait(module.getCompilationInfo());
          const messages = info.messages.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ');
          throw new VantageError(
            'shader-error',
            `shaders/${file}.wgsl (${stage.entry}) did not compile on ${gpu.description}: ${messages || (e as Error).message}`,
            'this GPU driver rejects a render shader: render with the reference renderer instead, and report the message',
            { cause: e },
          );
        }
      }),
    );
    return new Map(pipelines);
  });
}

export interface WebGpuRendererOptions {
  /** submit and time every dispatch, see takeProfile() (benchmarks only) */
  profile?: boolean;
  /**
   * rasterise with subgroup shuffles (shaders/rasterize_subgroups.wgsl) where the device has
   * subgroups no wider than a tile; false forces the portable shaders/rasterize.wgsl. Default true.
   */
  subgroups?: boolean;
  /** cap on workgroups per grid dimension (tests: forces the 2D dispatch of large jobs) */
  maxWorkgroupsPerDimension?: number;
  /** dispose() destroys the device too (default false: the device is borrowed and stays open) */
  ownsDevice?: boolean;
}

/** A WebGPU renderer on an opened device, which it borrows unless `ownsDevice` is set. */
export async function createWebGpuRenderer(
  gpu: GpuContext,
  options: WebGpuRendererOptions = {},
): Promise<WebGpuRenderer> {
  const maxSubgroup = (gpu.adapter.info as GPUAdapterInfo & { subgroupMaxSize?: number }).subgroupMaxSize ?? Infinity;
  const useSubgroups =
    (options.subgroups ?? true) && gpu.device.features.has('subgroups') && maxSubgroup <= RENDER_TUNING.tileSize ** 2;
  return new WebGpuRenderer(gpu, await createPipelines(gpu, useSubgroups), { ...options, subgroups: useSubgroups });
}
