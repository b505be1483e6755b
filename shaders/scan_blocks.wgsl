// Prefix sum, step 1: exclusive scan of each block of 4096 u32 in place (256 invocations × 16
// consecutive items), and the block's total into sums[block]. Blocks are then offset by
// scan_add.wgsl with the scanned sums (synth/gpu-renderer.ts recurses over levels).

struct Params { count: u32, pad0: u32, pad1: u32, pad2: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> data: array<u32>;
@group(0) @binding(2) var<storage, read_write> sums: array<u32>;

const WG: u32 = 256u;
const ITEMS: u32 = 16u;

var<workgroup> partial: array<u32, WG>;
var<workgroup> blockTotal: u32;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let block = wid.y * nwg.x + wid.x;
  let base = block * WG * ITEMS + lid * ITEMS;
  var local: array<u32, ITEMS>;
  var sum = 0u;
  for (var k = 0u; k < ITEMS; k++) {
    let idx = base + k;
    var v = 0u;
    if (idx < params.count) { v = data[idx]; }
    local[k] = sum;
    sum += v;
  }
  partial[lid] = sum;
  workgroupBarrier();
  // 256 partial sums: a serial scan by one invocation is cheaper than log-steps of barriers on CPUs.
  if (lid == 0u) {
    var acc = 0u;
    for (var t = 0u; t < WG; t++) {
      let v = partial[t];
      partial[t] = acc;
      acc += v;
    }
    blockTotal = acc;
  }
  workgroupBarrier();
  let off = partial[lid];
  for (var k = 0u; k < ITEMS; k++) {
    let idx = base + k;
    if (idx < params.count) { data[idx] = local[k] + off; }
  }
  if (lid == 0u && block * WG * ITEMS < params.count) { sums[block] = blockTotal; }
}
