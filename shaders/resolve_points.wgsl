// Points mode, last pass: per pixel, the winning point's colour and depth, or the background with
// coverage 0 (alpha channel 0) where no point landed. Same output layout as rasterize.wgsl.

@group(0) @binding(1) var<storage, read> colors: array<u32>;   // pack4x8unorm(rgb, 0)
@group(0) @binding(2) var<storage, read> zbuf: array<u32>;
@group(0) @binding(3) var<storage, read> ibuf: array<u32>;
@group(0) @binding(4) var<storage, read_write> outColor: array<u32>;
@group(0) @binding(5) var<storage, read_write> outDepth: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let p = flatIndex(wid, nwg, lid, 256u);
  if (p >= frame.size.x * frame.size.y) { return; }
  let idx = ibuf[p];
  if (idx == 0u) {
    outColor[p] = pack4x8unorm(vec4f(frame.background.rgb, 0.0));
    outDepth[p] = 0.0;
  } else {
    outColor[p] = colors[~idx] | 0xff000000u;
    outDepth[p] = bitcast<f32>(~zbuf[p]);
  }
}
