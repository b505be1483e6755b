// Radix sort pass, step 1: per block of 4096 keys, how many have each 4-bit digit at `shift`.
// Written digit-major (hist[digit * numBlocks + block]) so that one exclusive prefix sum over hist
// gives every (digit, block) its first output slot. Each invocation counts 32 consecutive keys.

struct Params { count: u32, shift: u32, numBlocks: u32, pad0: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> keys: array<u32>;
@group(0) @binding(2) var<storage, read_write> hist: array<u32>;

const WG: u32 = 128u;
const ITEMS: u32 = 32u;
const RADIX: u32 = 16u;

var<workgroup> counts: array<u32, 2048>;  // [digit * WG + invocation]

@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let block = wid.y * nwg.x + wid.x;
  for (var d = 0u; d < RADIX; d++) { counts[d * WG + lid] = 0u; }
  let base = block * WG * ITEMS + lid * ITEMS;
  let end = min(base + ITEMS, params.count);
  for (var idx = base; idx < end; idx++) {
    let d = (keys[idx] >> params.shift) & (RADIX - 1u);
    counts[d * WG + lid] += 1u;
  }
  workgroupBarrier();
  if (lid < RADIX && block < params.numBlocks) {
    var total = 0u;
    for (var t = 0u; t < WG; t++) { total += counts[lid * WG + t]; }
    hist[lid * params.numBlocks + block] = total;
  }
}
