// Radix sort pass, step 2: move every (key, value) of a block to its slot: the scanned hist gives
// the block's first slot per digit; inside the block, keys keep their order (stable), because each
// invocation owns 32 consecutive keys and the per-invocation digit counts are scanned in order.

struct Params { count: u32, shift: u32, numBlocks: u32, pad0: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> keysIn: array<u32>;
@group(0) @binding(2) var<storage, read> valuesIn: array<u32>;
@group(0) @binding(3) var<storage, read> hist: array<u32>;            // scanned, digit-major
@group(0) @binding(4) var<storage, read_write> keysOut: array<u32>;
@group(0) @binding(5) var<storage, read_write> valuesOut: array<u32>;

const WG: u32 = 128u;
const ITEMS: u32 = 32u;
const RADIX: u32 = 16u;

var<workgroup> counts: array<u32, 2048>;  // [digit * WG + invocation], then its scan
var<workgroup> partial: array<u32, WG>;
var<workgroup> digitBase: array<u32, RADIX>;

@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let block = wid.y * nwg.x + wid.x;
  for (var d = 0u; d < RADIX; d++) { counts[d * WG + lid] = 0u; }
  let base = block * WG * ITEMS + lid * ITEMS;
  let end = min(base + ITEMS, params.count);
  var local: array<u32, ITEMS>;
  for (var idx = base; idx < end; idx++) {
    let key = keysIn[idx];
    local[idx - base] = key;
    counts[((key >> params.shift) & (RADIX - 1u)) * WG + lid] += 1u;
  }
  workgroupBarrier();
  // Exclusive scan of the 2048 counters in digit-major order: 16 consecutive ones per invocation...
  var s = 0u;
  for (var e = 0u; e < RADIX; e++) {
    let v = counts[lid * RADIX + e];
    counts[lid * RADIX + e] = s;
    s += v;
  }
  partial[lid] = s;
  workgroupBarrier();
  // ...then the 128 partial sums, serially (cheaper than log-steps of barriers on CPUs).
  if (lid == 0u) {
    var acc = 0u;
    for (var t = 0u; t < WG; t++) {
      let v = partial[t];
      partial[t] = acc;
      acc += v;
    }
  }
  workgroupBarrier();
  for (var e = 0u; e < RADIX; e++) { counts[lid * RADIX + e] += partial[lid]; }
  workgroupBarrier();
  // Global first slot of each digit, minus where that digit starts inside this block.
  if (lid < RADIX && block < params.numBlocks) {
    digitBase[lid] = hist[lid * params.numBlocks + block] - counts[lid * WG];
  }
  workgroupBarrier();
  for (var idx = base; idx < end; idx++) {
    let key = local[idx - base];
    let d = (key >> params.shift) & (RADIX - 1u);
    let pos = digitBase[d] + counts[d * WG + lid];
    counts[d * WG + lid] += 1u;
    keysOut[pos] = key;
    valuesOut[pos] = valuesIn[idx];
  }
}
