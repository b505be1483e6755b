enable subgroups;
diagnostic(off, subgroup_uniformity);
// Stage 7 (gaussians), where the device has subgroups: the maths of rasterize.wgsl, but each lane
// of a subgroup fetches one splat of the next batch and the lanes share them by shuffles. On CPU
// drivers a storage load costs the same for 8 lanes reading one address as for 8 addresses, so
// this cuts loads per evaluation by the subgroup size (measured ~3× faster on lavapipe).
// Lanes stay in the loop until their whole subgroup is done (shuffles need every lane).

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
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) sg: u32) {
  let px = wid.xy * TILE + lid.xy;
  let inside = px.x < frame.size.x && px.y < frame.size.y;
  let centre = vec2f(px) + 0.5;
  let tile = wid.y * frame.tiles.x + wid.x;
  var start = 0u;
  if (tile > 0u) { start = binEnds[tile * frame.bins - 1u]; }
  let end = binEnds[tile * frame.bins + frame.bins - 1u];
  var T = 1.0;
  var C = vec3f(0.0);
  var D = 0.0;
  var done = !inside;
  for (var base = start; base < end; base += sg) {
    if (subgroupAll(done)) { break; }
    var mine = Projected(vec4f(0.0), 0.0, 0.0, 0.0, 0u);  // past the end: opacity 0, no effect
    if (base + lane < end) { mine = projected[entries[base + lane]]; }
    let n = min(sg, end - base);
    for (var j = 0u; j < n; j++) {
      let g = subgroupShuffle(mine.xy_conic, j);
      let conicC = subgroupShuffle(mine.conic_c, j);
      let opacity = subgroupShuffle(mine.opacity, j);
      let depth = subgroupShuffle(mine.depth, j);
      let color = subgroupShuffle(mine.color, j);
      let d = centre - g.xy;
      let power = -0.5 * (g.z * d.x * d.x + conicC * d.y * d.y) - g.w * d.x * d.y;
      let alpha = min(MAX_ALPHA, opacity * exp(power));
      if (!done && power <= 0.0 && alpha >= MIN_ALPHA) {
        let testT = T * (1.0 - alpha);
        if (testT < MIN_T) {
          done = true;
        } else {
          let w = alpha * T;
          C += unpack4x8unorm(color).rgb * w;
          D += depth * w;
          T = testT;
        }
      }
    }
  }
  if (inside) {
    let p = px.y * frame.size.x + px.x;
    let acc = 1.0 - T;
    let covered = acc >= COVERAGE;
    // Covered pixels are surface: normalise by accumulated alpha (no darkening toward the background).
    let rgb = select(C + frame.background.rgb * T, C / max(acc, 1e-6), covered);
    outColor[p] = pack4x8unorm(vec4f(rgb, select(0.0, 1.0, covered)));
    outDepth[p] = select(0.0, D / acc, covered);
  }
}
