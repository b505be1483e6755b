// Stage 6 (gaussians): binning, scatter. Walks each block again in the same order and writes every
// splat into each tile it touches, at the (tile, block) cursor the prefix sum gave (bin_count.wgsl).
// Afterwards counts[tile * bins + bins − 1] is the end of the tile's entries, which rasterize.wgsl
// reads as its range.

@group(0) @binding(1) var<storage, read> order: array<u32>;
@group(0) @binding(2) var<storage, read> rects: array<vec2u>;
@group(0) @binding(3) var<storage, read_write> counts: array<u32>;   // scanned: first slots
@group(0) @binding(4) var<storage, read_write> entries: array<u32>;  // splat index per slot

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let block = flatIndex(wid, nwg, lid, 64u);
  if (block >= frame.bins) { return; }
  let per = (frame.count + frame.bins - 1u) / frame.bins;
  let end = min(frame.count, (block + 1u) * per);
  for (var s = block * per; s < end; s++) {
    let i = order[s];
    let r = rects[i];
    let lo = vec2u(r.x & 0xffffu, r.x >> 16u);
    let hi = vec2u(r.y & 0xffffu, r.y >> 16u);
    if (lo.x > hi.x) { break; }
    for (var ty = lo.y; ty <= hi.y; ty++) {
      for (var tx = lo.x; tx <= hi.x; tx++) {
        let c = (ty * frame.tiles.x + tx) * frame.bins + block;
        entries[counts[c]] = i;
        counts[c] += 1u;
      }
    }
  }
}
