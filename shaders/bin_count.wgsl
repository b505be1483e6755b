// Stage 4 (gaussians): binning, count. The depth-ordered splats are cut into `frame.bins` blocks of
// consecutive ones; one invocation walks a block and counts, per tile, the block's splats touching
// it: counts[tile * bins + block]. An exclusive prefix sum over counts then gives every (tile,
// block) its first slot, tile-major, so each tile's splats end up contiguous and front to back.

@group(0) @binding(1) var<storage, read> order: array<u32>;   // splat indices, front to back
@group(0) @binding(2) var<storage, read> rects: array<vec2u>;
@group(0) @binding(3) var<storage, read_write> counts: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let block = flatIndex(wid, nwg, lid, 64u);
  if (block >= frame.bins) { return; }
  let per = (frame.count + frame.bins - 1u) / frame.bins;
  let end = min(frame.count, (block + 1u) * per);
  for (var s = block * per; s < end; s++) {
    let r = rects[order[s]];
    let lo = vec2u(r.x & 0xffffu, r.x >> 16u);
    let hi = vec2u(r.y & 0xffffu, r.y >> 16u);
    if (lo.x > hi.x) { break; }   // culled splats sort last
    for (var ty = lo.y; ty <= hi.y; ty++) {
      for (var tx = lo.x; tx <= hi.x; tx++) {
        counts[(ty * frame.tiles.x + tx) * frame.bins + block] += 1u;
      }
    }
  }
}
