// Stage 1 (gaussians): project each Gaussian as 3DGS does (EWA): camera-space centre, 3D covariance
// from scale and rotation, Jacobian of the pinhole at the centre -> 2D covariance + low-pass, conic,
// 3-sigma radius, the tiles it touches. Culled splats touch no tile. Also gathers the visible depth
// range and the number of (tile, splat) entries. Reference: projectGaussian().

override LOW_PASS: f32 = 0.3;
override SIGMA_CUTOFF: f32 = 3.0;
override MIN_ALPHA: f32 = 0.003921569;

@group(0) @binding(1) var<storage, read> posOpacity: array<vec4f>;   // xyz, opacity
@group(0) @binding(2) var<storage, read> scales: array<f32>;         // 3 per splat (std-devs)
@group(0) @binding(3) var<storage, read> rotations: array<vec4f>;    // quaternion (w, x, y, z)
@group(0) @binding(4) var<storage, read> colors: array<u32>;         // pack4x8unorm(rgb, 0)
@group(0) @binding(5) var<storage, read_write> projected: array<Projected>;
@group(0) @binding(6) var<storage, read_write> rects: array<vec2u>;  // tile min / max, x | y << 16
// [0], [1]: f32 bits of the visible depth range (min, max); [2]: (tile, splat) entries;
// [3]: entries / 256 (rounded up per splat), which cannot wrap around, to detect overflow of [2]
@group(0) @binding(7) var<storage, read_write> stats: array<atomic<u32>, 4>;

fn cull(i: u32) {
  rects[i] = vec2u(0xffffffffu, 0u);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = flatIndex(wid, nwg, lid, 256u);
  if (i >= frame.count) { return; }
  let po = posOpacity[i];
  let t = cameraPoint(po.xyz);
  if (!(po.w >= MIN_ALPHA) || !(t.z >= frame.near)) { cull(i); return; }

  let qn = length(rotations[i]);
  if (!(qn > 0.0)) { cull(i); return; }
  let q = rotations[i] / qn;
  let w = q.x; let x = q.y; let y = q.z; let z = q.w;
  // Columns of R (the Gaussian's axes in world space).
  let r0 = vec3f(1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y + w * z), 2.0 * (x * z - w * y));
  let r1 = vec3f(2.0 * (x * y - w * z), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z + w * x));
  let r2 = vec3f(2.0 * (x * z + w * y), 2.0 * (y * z - w * x), 1.0 - 2.0 * (x * x + y * y));
  let s = vec3f(scales[3u * i], scales[3u * i + 1u], scales[3u * i + 2u]);
  // Columns of M = W R S: the axes in camera space, times their std-dev.
  let W = mat3x3f(vec3f(frame.w2c0.x, frame.w2c1.x, frame.w2c2.x),
                  vec3f(frame.w2c0.y, frame.w2c1.y, frame.w2c2.y),
                  vec3f(frame.w2c0.z, frame.w2c1.z, frame.w2c2.z));
  let m0 = W * r0 * s.x;
  let m1 = W * r1 * s.y;
  let m2 = W * r2 * s.z;
  // Rows of the Jacobian at the clamped centre; T = J M; cov2D = T Tᵀ + low-pass.
  let c = clamp(t.xy / t.z, frame.limLo, frame.limHi) * t.z;
  let j0 = vec3f(frame.focal.x / t.z, 0.0, -frame.focal.x * c.x / (t.z * t.z));
  let j1 = vec3f(0.0, frame.focal.y / t.z, -frame.focal.y * c.y / (t.z * t.z));
  let t0 = vec3f(dot(j0, m0), dot(j0, m1), dot(j0, m2));
  let t1 = vec3f(dot(j1, m0), dot(j1, m1), dot(j1, m2));
  let a = dot(t0, t0) + LOW_PASS;
  let b = dot(t0, t1);
  let cc = dot(t1, t1) + LOW_PASS;
  let det = a * cc - b * b;
  if (!(det > 0.0)) { cull(i); return; }
  let mid = 0.5 * (a + cc);
  let lambda1 = mid + sqrt(max(0.1, mid * mid - det));
  let radius = ceil(SIGMA_CUTOFF * sqrt(lambda1));

  let xy = frame.focal * t.xy / t.z + frame.center;
  // Pixels whose centre (u + ½) lies within the radius, clipped to the image; then their tiles.
  let lo = max(ceil(xy - radius - 0.5), vec2f(0.0));
  let hi = min(floor(xy + radius - 0.5), vec2f(frame.size - 1u));
  if (!(lo.x <= hi.x && lo.y <= hi.y)) { cull(i); return; }
  let tmin = vec2u(lo) / TILE;
  let tmax = vec2u(hi) / TILE;

  projected[i] = Projected(vec4f(xy, cc / det, -b / det), a / det, po.w, t.z, colors[i]);
  rects[i] = vec2u(tmin.x | (tmin.y << 16u), tmax.x | (tmax.y << 16u));
  let entries = (tmax.x - tmin.x + 1u) * (tmax.y - tmin.y + 1u);
  atomicAdd(&stats[2], entries);
  atomicAdd(&stats[3], (entries + 255u) / 256u);
  atomicMin(&stats[0], bitcast<u32>(t.z));
  atomicMax(&stats[1], bitcast<u32>(t.z));
}
