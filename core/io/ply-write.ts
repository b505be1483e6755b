/** Writing a scene as a standard 3D Gaussian Splatting PLY (the layout ply-read.ts reads). */
import { writeFileChecked } from './files.js';
import { GAUSSIAN_PROPS, SH_C0 } from './ply-read.js';
import type { Scene } from '../types.js';

/** The standard layout: position, zero normals, then the Gaussian's own properties. */
const WRITE_PROPS = ['x', 'y', 'z', 'nx', 'ny', 'nz', ...GAUSSIAN_PROPS.slice(3)] as const;

/** Standard 3DGS binary little-endian PLY bytes of a scene (DC colour only, zero normals). */
export function encodePly(scene: Scene): Buffer {
  const n = scene.count;
  const header = Buffer.from(
    'ply\nformat binary_little_endian 1.0\ncomment written by Vantage\n' +
      `element vertex ${n}\n` +
      WRITE_PROPS.map((p) => `property float ${p}\n`).join('') +
      'end_header\n',
    'latin1',
  );
  const stride = WRITE_PROPS.length * 4;
  const out = Buffer.alloc(header.length + n * stride);
  header.copy(out, 0);
  const dv = new DataView(out.buffer, out.byteOffset + header.length, n * stride);
  const eps = 1e-7;
  for (let i = 0; i < n; i++) {
    const vals = [
      scene.positions[i * 3],
      scene.positions[i * 3 + 1],
      scene.positions[i * 3 + 2],
      0,
      0,
      0,
      (scene.colors[i * 3] - 0.5) / SH_C0,
      (scene.colors[i * 3 + 1] - 0.5) / SH_C0,
      (scene.colors[i * 3 + 2] - 0.5) / SH_C0,
      logit(Math.min(1 - eps, Math.max(eps, scene.opacities[i]))),
      Math.log(Math.max(1e-30, scene.scales[i * 3])),
      Math.log(Math.max(1e-30, scene.scales[i * 3 + 1])),
      Math.log(Math.max(1e-30, scene.scales[i * 3 + 2])),
      scene.rotations[i * 4],
      scene.rotations[i * 4 + 1],
      scene.rotations[i * 4 + 2],
      scene.rotations[i * 4 + 3],
    ];
    for (let j = 0; j < vals.length; j++) dv.setFloat32(i * stride + j * 4, vals[j], true);
  }
  return out;
}

const logit = (p: number): number => Math.log(p / (1 - p));

/** Write a scene as a standard 3DGS PLY (parent folders are created). */
export async function writePly(path: string, scene: Scene): Promise<void> {
  await writeFileChecked(path, encodePly(scene), 'PLY scene');
}
