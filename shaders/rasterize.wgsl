// Stage 7 (gaussians): one workgroup per tile, one invocation per pixel, compositing the tile's
// splats front to back until the pixel saturates. No workgroup memory and no barriers: on CPU
// drivers (lavapipe) barriers are the expensive part, and a tile's pixels read the same splats,
// which stay in cache. Colour and depth are loaded only for splats that contribute.
// Per pixel: alpha = min(MAX_ALPHA, opacity·exp(-½ dᵀ Σ⁻¹ d)); skip alpha < MIN_ALPHA; stop before
// transmittance falls below MIN_T. Writes rgba (a = 255 where accumulated alpha ≥ COVERAGE, else 0;
// covered colour is normalised by accumulated alpha)
// and alpha-weighted depth (0 where not covered). Reference: renderGaussians().

override MAX_ALPHA: f32 = 0.99;
override MIN_ALPHA: f32 = 0.003921569;
override MIN_T: f32 = 0.0001;
override COVERAGE: f32 = 0.5;

@group(0) @binding(1) var<storage, read> projected: array<Projected>;
@group(0) @binding(2) var<storage, read> entries: array<u32>;  // splat index, per tile front to back
@group(0) @binding(3) var<storage, read> binEnds: array<u32>;  // counts after bin_scatter.wgsl
@group(0) @binding(4) var<storage, read_write> outColor: array<u32>;
@group(0) @binding(5) var<storage, read_write> outDepth: array<f32>;

@compute @workgroup_size(TILE, TILE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let px = wid.xy * TILE + lid.xy;
  if (px.x >= frame.size.x || px.y >= frame.size.y) { return; }
  let centre = vec2f(px) + 0.5;
  let tile = wid.y * frame.tiles.x + wid.x;
  var start = 0u;
  if (tile > 0u) { start = binEnds[tile * frame.bins - 1u]; }
  let end = binEnds[tile * frame.bins + frame.bins - 1u];
  var T = 1.0;
  var C = vec3f(0.0);
  var D = 0.0;
  for (var k = start; k < end; k++) {
    let i = entries[k];
    let g = projected[i].xy_conic;
    let d = centre - g.xy;
    let power = -0.5 * (g.z * d.x * d.x + projected[i].conic_c * d.y * d.y) - g.w * d.x * d.y;
    if (power > 0.0) { continue; }
    let alpha = min(MAX_ALPHA, projected[i].opacity * exp(power));
    if (alpha < MIN_ALPHA) { continue; }
    let testT = T * (1.0 - alpha);
    if (testT < MIN_T) { break; }
    let w = alpha * T;
    C += unpack4x8unorm(projected[i].color).rgb * w;
    D += projected[i].depth * w;
    T = testT;
  }
  let p = px.y * frame.size.x + px.x;
  let acc = 1.0 - T;
  let covered = acc >= COVERAGE;
  // Covered pixels are surface: normalise by accumulated alpha (no darkening toward the background).
  let rgb = select(C + frame.background.rgb * T, C / max(acc, 1e-6), covered);
  outColor[p] = pack4x8unorm(vec4f(rgb, select(0.0, 1.0, covered)));
  outDepth[p] = select(0.0, D / acc, covered);
}
