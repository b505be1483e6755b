// Prefix sum, step 2: add each block's scanned offset to its 4096 items (see scan_blocks.wgsl).

struct Params { count: u32, pad0: u32, pad1: u32, pad2: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> data: array<u32>;
@group(0) @binding(2) var<storage, read> sums: array<u32>;

const WG: u32 = 256u;
const ITEMS: u32 = 16u;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let block = wid.y * nwg.x + wid.x;
  let off = sums[block];
  let base = block * WG * ITEMS + lid * ITEMS;
  for (var k = 0u; k < ITEMS; k++) {
    let idx = base + k;
    if (idx < params.count) { data[idx] += off; }
  }
}
