/**
 * Video in and out through Debian's `ffmpeg` / `ffprobe` (installed by scripts/setup.sh): probe a
 * clip, sample frames uniformly in time or by motion, decode them to RGB, and encode RGB frames to an
 * mp4 (the procedural walk-throughs). Frames are decoded by ffmpeg itself — no hand-written decoder.
 */
import { spawn } from 'node:child_process';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { VantageError } from '../errors.js';
import { writePng, type RgbImage } from './image.js';
import { readTrajectory } from './trajectory.js';

/** Bounds that keep a decode inside memory and time; a clip past them is refused with a hint. */
export const VIDEO_LIMITS = {
  /** longest clip accepted, seconds */
  maxSeconds: 3 * 3600,
  /** most frames sampled from one clip */
  maxFrames: 256,
  /** largest decoded frame side; bigger frames are scaled down (aspect kept) */
  maxSide: 1024,
  /** candidates decoded per wanted frame when sampling by motion */
  motionOversample: 4,
} as const;

export interface VideoInfo {
  path: string;
  width: number;
  height: number;
  /** seconds */
  duration: number;
  /** frames per second (average) */
  fps: number;
  /** frames in the stream (counted by the container, else duration × fps) */
  frames: number;
  codec: string;
}

/** A decoded frame and where it sits in the clip. */
export interface VideoFrame {
  image: RgbImage;
  /** index among the sampled frames */
  index: number;
  /** the encoded frame it is (0-based) */
  frame: number;
  /** its presentation time, seconds (frame / fps) */
  time: number;
}

export type FrameSampling = 'uniform' | 'motion';

export interface SampleOptions {
  /** how many frames (default 16); exclusive with `fps` */
  frames?: number;
  /** frames per second of clip time; exclusive with `frames` */
  fps?: number;
  /** 'uniform' in time (default) or 'motion': more frames where the picture changes more */
  sampling?: FrameSampling;
  /** scale frames so the longer side is at most this (default VIDEO_LIMITS.maxSide) */
  maxSide?: number;
  /** refuse clips longer than this many seconds (default VIDEO_LIMITS.maxSeconds) */
  maxSeconds?: number;
  log?: (line: string) => void;
}

const INSTALL_HINT = 'install ffmpeg (Debian: apt-get install ffmpeg; bash scripts/setup.sh does it as root)';

interface RunResult {
  stdout: Buffer;
  stderr: string;
  code: number | null;
}

/** Run an ffmpeg tool, collecting stdout; a missing binary is a clear error, not ENOENT. */
function run(tool: 'ffmpeg' | 'ffprobe', args: string[], stdin?: AsyncIterable<Uint8Array>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => {
      // keep only the tail: ffmpeg can be chatty on long clips
      err = (err + b.toString('utf8')).slice(-8192);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') reject(new VantageError('no-ffmpeg', `${tool} is not installed`, INSTALL_HINT));
      else reject(new VantageError('video-failed', `${tool} could not start: ${e.message}`, INSTALL_HINT));
    });
    child.on('close', (code) => resolve({ stdout: Buffer.concat(out), stderr: err, code }));
    if (stdin && child.stdin) {
      const sink = child.stdin;
      sink.on('error', () => {}); // ffmpeg closing early surfaces through its exit code
      void (async () => {
        for await (const chunk of stdin) if (!sink.write(chunk)) await new Promise((r) => sink.once('drain', r));
        sink.end();
      })().catch(() => sink.destroy());
    }
  });
}

const lastLine = (s: string) =>
  s
    .trim()
    .split('\n')
    .filter((l) => l.trim())
    .pop()
    ?.trim() ?? 'no output';

const rate = (s: string | undefined) => {
  const [a, b] = (s ?? '').split('/').map(Number);
  return b ? a / b : a;
};

/** Size, duration, frame rate and frame count of a clip's first video stream. */
export async function probeVideo(path: string): Promise<VideoInfo> {
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile())
    throw new VantageError('file-not-found', `video ${path} does not exist`, 'check the path given to --video');
  if (st.size === 0) throw new VantageError('bad-video', `video ${path} is empty (0 bytes)`, 'give a real video file');
  const r = await run('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=width,height,codec_name,avg_frame_rate,r_frame_rate,nb_frames,duration:format=duration',
    '-of',
    'json',
    path,
  ]);
  if (r.code !== 0)
    throw new VantageError(
      'bad-video',
      `video ${path} cannot be read (${lastLine(r.stderr)})`,
      'check that it is a complete video file (mp4, mov, mkv, webm…) — re-encode it with ffmpeg if it plays elsewhere',
    );
  let json: { streams?: Record<string, string | number>[]; format?: { duration?: string } };
  try {
    json = JSON.parse(r.stdout.toString('utf8'));
  } catch {
    throw new VantageError('bad-video', `ffprobe gave no readable description of ${path}`, INSTALL_HINT);
  }
  const s = json.streams?.[0];
  if (!s)
    throw new VantageError(
      'bad-video',
      `${path} holds no video stream`,
      'give a video (an audio file or image is not one)',
    );
  const width = Number(s.width);
  const height = Number(s.height);
  const duration = Number(s.duration ?? json.format?.duration);
  const fps = rate(String(s.avg_frame_rate)) || rate(String(s.r_frame_rate));
  const counted = Number(s.nb_frames);
  const frames = Number.isFinite(counted) && counted > 0 ? counted : Math.round(duration * fps);
  if (!(width > 0 && height > 0))
    throw new VantageError('bad-video', `${path}: the video stream has no frame size`, 'the file may be corrupt');
  if (!(duration > 0 && frames > 0))
    throw new VantageError('bad-video', `${path} has no frames`, 'give a video with at least one frame');
  return { path, width, height, duration, fps, frames, codec: String(s.codec_name ?? 'unknown') };
}

/** Even output size with the longer side at most maxSide (yuv formats and some filters want even sizes). */
export function decodeSize(
  info: { width: number; height: number },
  maxSide: number,
): { width: number; height: number } {
  const k = Math.min(1, maxSide / Math.max(info.width, info.height));
  const even = (x: number) => Math.max(2, 2 * Math.round((x * k) / 2));
  return { width: even(info.width), height: even(info.height) };
}

/** `count` timestamps at the centres of equal time slices of [0, duration). */
export function uniformTimes(duration: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => ((i + 0.5) * duration) / count);
}

/**
 * Pick `count` of the candidates so that equal amounts of picture change lie between them: the
 * cumulative motion (mean absolute difference to the previous candidate) is cut at equal quantiles.
 * A clip that never changes falls back to uniform spacing.
 */
export function motionPicks(motion: number[], count: number): number[] {
  const n = motion.length;
  if (count >= n) return Array.from({ length: n }, (_, i) => i);
  const cum: number[] = [];
  let acc = 0;
  for (const m of motion) cum.push((acc += m));
  const total = acc;
  if (!(total > 0)) return uniformTimes(n, count).map((t) => Math.min(n - 1, Math.floor(t)));
  const picks: number[] = [];
  let j = 0;
  for (let k = 0; k < count; k++) {
    const target = ((k + 0.5) / count) * total;
    while (j < n - 1 && cum[j] < target) j++;
    // never pick a candidate twice: keep the order strictly increasing while room remains
    const lo = picks.length ? picks[picks.length - 1] + 1 : 0;
    const hi = n - (count - k);
    picks.push(Math.min(Math.max(j, lo), hi));
  }
  return picks;
}

/** Mean absolute per-channel difference of two equal-size RGB frames, 0..255. */
function frameDifference(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

/** The encoded frames `indices` (sorted, distinct), decoded in one pass by number (exact, unlike time-based filters). */
async function decodeFrames(
  info: VideoInfo,
  indices: number[],
  size: { width: number; height: number },
): Promise<Buffer> {
  const select = indices.map((k) => `eq(n\\,${k})`).join('+');
  const r = await run('ffmpeg', [
    '-v',
    'error',
    '-nostdin',
    '-i',
    info.path,
    '-an',
    '-vf',
    `select='${select}',scale=${size.width}:${size.height}:flags=area`,
    '-fps_mode',
    'passthrough',
    '-frames:v',
    String(indices.length),
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ]);
  if (r.code !== 0)
    throw new VantageError(
      'bad-video',
      `decoding ${info.path} failed (${lastLine(r.stderr)})`,
      'the file may be truncated or corrupt: re-encode it with ffmpeg -i IN -c:v libx264 OUT.mp4',
    );
  return r.stdout;
}

/** Distinct frame indices at the given times, in order. */
function indicesAt(info: VideoInfo, times: number[]): number[] {
  return [...new Set(times.map((t) => frameIndexAt(t, info.fps, info.frames)))];
}

function split(raw: Buffer, size: { width: number; height: number }, indices: number[], fps: number): VideoFrame[] {
  const bytes = size.width * size.height * 3;
  const n = Math.min(indices.length, Math.floor(raw.length / bytes));
  return Array.from({ length: n }, (_, i) => ({
    index: i,
    frame: indices[i],
    time: indices[i] / fps,
    image: {
      width: size.width,
      height: size.height,
      rgb: new Uint8Array(raw.buffer, raw.byteOffset + i * bytes, bytes).slice(),
    } as RgbImage,
  }));
}

/** How many frames a request means for this clip (validating frames / fps). */
export function frameCount(info: Pick<VideoInfo, 'duration' | 'frames'>, o: SampleOptions): number {
  if (o.frames !== undefined && o.fps !== undefined)
    throw new VantageError('bad-option', 'give either --frames or --fps, not both', 'e.g. --frames 16 or --fps 0.5');
  if (o.fps !== undefined && !(Number.isFinite(o.fps) && o.fps > 0))
    throw new VantageError(
      'bad-option',
      `--fps ${o.fps} must be a positive number`,
      'e.g. --fps 0.5 (a frame every 2 s)',
    );
  const want = o.fps !== undefined ? Math.max(1, Math.floor(info.duration * o.fps)) : (o.frames ?? 16);
  if (!(Number.isInteger(want) && want >= 1 && want <= VIDEO_LIMITS.maxFrames))
    throw new VantageError(
      'bad-option',
      `${o.fps !== undefined ? `--fps ${o.fps} gives ${want} frames` : `--frames ${want}`}: must be 1 to ${VIDEO_LIMITS.maxFrames}`,
      'sample fewer frames (16–32 is what video benchmarks use)',
    );
  return Math.min(want, info.frames);
}

/** Decode `frames` (or `fps`) frames of a clip, uniformly in time or by motion. */
export async function sampleVideo(
  path: string,
  o: SampleOptions = {},
): Promise<{ info: VideoInfo; frames: VideoFrame[] }> {
  const info = await probeVideo(path);
  const maxSeconds = o.maxSeconds ?? VIDEO_LIMITS.maxSeconds;
  if (info.duration > maxSeconds)
    throw new VantageError(
      'video-too-long',
      `video ${path} is ${info.duration.toFixed(0)} s long, over the ${maxSeconds} s limit`,
      'cut the part you need first: ffmpeg -ss START -t SECONDS -i IN -c copy OUT.mp4',
    );
  const count = frameCount(info, o);
  const size = decodeSize(info, o.maxSide ?? VIDEO_LIMITS.maxSide);
  const sampling = o.sampling ?? 'uniform';
  o.log?.(
    `decoding ${count} frame(s) of ${path} (${info.duration.toFixed(1)} s, ${sampling}) at ${size.width}×${size.height}…`,
  );
  if (sampling === 'uniform' || count === info.frames) {
    const idx = indicesAt(info, uniformTimes(info.duration, count));
    const frames = split(await decodeFrames(info, idx, size), size, idx, info.fps);
    if (!frames.length)
      throw new VantageError('bad-video', `no frame of ${path} could be decoded`, 'the file may be corrupt');
    return { info, frames };
  }
  // motion: decode a denser candidate set at low resolution, pick by cumulative change, then keep
  // the full-size candidates that were picked
  const nCand = Math.min(info.frames, count * VIDEO_LIMITS.motionOversample);
  const candTimes = uniformTimes(info.duration, nCand);
  const candIdx = indicesAt(info, candTimes);
  const cands = split(await decodeFrames(info, candIdx, size), size, candIdx, info.fps);
  if (!cands.length)
    throw new VantageError('bad-video', `no frame of ${path} could be decoded`, 'the file may be corrupt');
  const motion = cands.map((f, i) => (i === 0 ? 0 : frameDifference(cands[i - 1].image.rgb, f.image.rgb)));
  const picks = motionPicks(motion, Math.min(count, cands.length));
  return { info, frames: picks.map((p, i) => ({ ...cands[p], index: i })) };
}

export interface EncodeOptions {
  fps?: number;
  /** H.264 constant rate factor: lower is better quality (default 18, visually lossless) */
  crf?: number;
}

/** Encode equal-size RGB frames to an H.264 mp4 (yuv420p, so every player opens it). */
export async function encodeVideo(frames: RgbImage[], out: string, o: EncodeOptions = {}): Promise<void> {
  if (!frames.length) throw new VantageError('bad-video', 'no frames to encode', 'give at least one frame');
  const { width, height } = frames[0];
  if (width % 2 || height % 2)
    throw new VantageError(
      'bad-size',
      `video frames must have even sizes, got ${width}×${height}`,
      'render at an even size',
    );
  if (frames.some((f) => f.width !== width || f.height !== height))
    throw new VantageError(
      'bad-size',
      'all frames of a video must have one size',
      `render every frame at ${width}×${height}`,
    );
  async function* source() {
    for (const f of frames) yield f.rgb;
  }
  const r = await run(
    'ffmpeg',
    [
      '-v',
      'error',
      '-y',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-s',
      `${width}x${height}`,
      '-r',
      String(o.fps ?? 10),
      '-i',
      'pipe:0',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      String(o.crf ?? 18),
      '-pix_fmt',
      'yuv420p',
      '-movflags',
      '+faststart',
      out,
    ],
    source(),
  );
  if (r.code !== 0)
    throw new VantageError(
      'video-failed',
      `encoding ${out} failed (${lastLine(r.stderr)})`,
      'check that the folder is writable',
    );
}

/** Index of the encoded frame shown at `time` (frame k spans [k / fps, (k + 1) / fps)). */
export function frameIndexAt(time: number, fps: number, frames: number): number {
  return Math.min(frames - 1, Math.max(0, Math.floor(time * fps + 1e-6)));
}

export interface VideoFiles {
  info: VideoInfo;
  /** the sampled frames as PNG files, in clip order */
  images: string[];
  /** the encoded frame each sampled frame is */
  frameIndices: number[];
  times: number[];
  /** the per-frame depth maps of the sampled frames, when the clip came with one per encoded frame */
  depths?: string[];
  /** the sampled frames' camera-to-world poses (a JSON list), when the clip came with a camera path */
  trajectory?: string;
}

/**
 * Sample a clip and write the frames as PNG files in `dir`, so that they load like photos (depth,
 * intrinsics, registration as for images). A clip with one depth map per encoded frame (`depths`) or a
 * camera path with one pose per encoded frame (`trajectory`, as procedural walk-throughs have) gets
 * the matching subset of each.
 */
export async function sampleVideoToFiles(
  path: string,
  o: SampleOptions & { dir: string; depths?: string[]; trajectory?: string },
): Promise<VideoFiles> {
  const { info, frames } = await sampleVideo(path, o);
  await mkdir(o.dir, { recursive: true });
  const stem = basename(path).replace(/\.[^.]*$/, '');
  const images: string[] = [];
  for (const f of frames) {
    const file = join(o.dir, `${stem}-t${f.time.toFixed(3)}.png`);
    await writePng(file, f.image.rgb, f.image.width, f.image.height, 3);
    images.push(file);
  }
  const frameIndices = frames.map((f) => f.frame);
  const out: VideoFiles = { info, images, frameIndices, times: frames.map((f) => f.time) };
  if (o.depths) {
    if (o.depths.length !== info.frames)
      throw new VantageError(
        'bad-input',
        `${o.depths.length} depth maps for a clip of ${info.frames} frames`,
        'give one depth map per encoded frame of the video',
      );
    out.depths = frameIndices.map((i) => o.depths![i]);
  }
  if (o.trajectory) {
    const poses = await readTrajectory(o.trajectory);
    if (poses.length !== info.frames)
      throw new VantageError(
        'bad-input',
        `camera path ${basename(o.trajectory)} has ${poses.length} poses for a clip of ${info.frames} frames`,
        'give one camera-to-world pose per encoded frame of the video',
      );
    out.trajectory = join(o.dir, `${stem}-path.json`);
    await writeFile(out.trajectory, `${JSON.stringify(frameIndices.map((i) => Array.from(poses[i])))}\n`);
  }
  return out;
}
