// Stage 2 (gaussians): each splat's depth sort key — depth quantised over the visible range to
// 0 .. 2^depthBits − 2; culled splats get 2^depthBits − 1 and sort last. Values start as the splat
// index, so the stable radix sort orders by (depth key, index). Reference: depthKey().

@group(0) @binding(1) var<storage, read> projected: array<Projected>;
@group(0) @binding(2) var<storage, read> rects: array<vec2u>;
@group(0) @binding(3) var<storage, read> stats: array<u32, 4>;   // f32 bits of min, max depth
@group(0) @binding(4) var<storage, read_write> keys: array<u32>;
@group(0) @binding(5) var<storage, read_write> values: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = flatIndex(wid, nwg, lid, 256u);
  if (i >= frame.count) { return; }
  let culledKey = (1u << frame.depthBits) - 1u;
  var key = culledKey;
  let r = rects[i];
  if ((r.x & 0xffffu) <= (r.y & 0xffffu)) {
    let zmin = bitcast<f32>(stats[0]);
    let zmax = bitcast<f32>(stats[1]);
    key = 0u;
    if (zmax > zmin) {
      let t = clamp((projected[i].depth - zmin) / (zmax - zmin), 0.0, 1.0);
      key = min(u32(floor(t * f32(culledKey - 1u))), culledKey - 1u);
    }
  }
  keys[i] = key;
  values[i] = i;
}
