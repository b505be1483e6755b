/**
 * Registration: several photos without poses → a camera-to-world pose per photo in photo 0's frame,
 * per-photo inlier/residual figures, and which photos did not register. Backends behind one call:
 * `features` (classical, offline, synth/register/classical.ts) and learned multi-view models
 * (not yet built). `auto` is `features`.
 */
import { VantageError } from '../../core/errors.js';
import { registerClassical, requireSomeRegistered } from './classical.js';
import type { RegisterOptions, RegisterPhoto, Registration } from './types.js';

export const REGISTER_METHODS = ['auto', 'features'] as const;

export interface RegisterPhotosOptions extends RegisterOptions {
  /** auto | features | a learned model name or .onnx path */
  method?: string;
  /** throw when no photo but the first registers (default true) */
  requireAny?: boolean;
}

function checkPhotos(photos: RegisterPhoto[]): void {
  if (photos.length < 1) throw new VantageError('bad-input', 'registration needs at least one photo');
  for (const p of photos) {
    if (p.rgb.length !== p.width * p.height * 3) {
      throw new VantageError('bad-input', `${p.name}: ${p.rgb.length} RGB bytes for ${p.width}×${p.height}`);
    }
    if (p.depth && p.depth.length !== p.width * p.height) {
      throw new VantageError(
        'bad-input',
        `${p.name}: depth has ${p.depth.length} values but the photo is ${p.width}×${p.height}`,
        'give each photo a depth map of its own size',
      );
    }
  }
}

export async function registerPhotos(photos: RegisterPhoto[], opts: RegisterPhotosOptions = {}): Promise<Registration> {
  checkPhotos(photos);
  const method = (opts.method ?? 'auto').trim();
  let reg: Registration;
  if (method === 'auto' || method === 'features') {
    reg = await registerClassical(photos, opts);
  } else {
    throw new VantageError(
      'bad-register-method',
      `unknown registration method "${method}"`,
      `use one of: ${REGISTER_METHODS.join(', ')}`,
    );
  }
  if (opts.requireAny !== false) requireSomeRegistered(reg);
  return reg;
}

export type { PhotoPose, RegisterPhoto, Registration, RegistrationRecord } from './types.js';
export { registrationLines, registrationRecord } from './types.js';
