// Shared by the stages that read the frame (prepended by synth/shaders.ts). Layout mirrors frameUniform() in
// synth/gpu-renderer.ts; numbers come from synth/render-frame.ts.

struct Frame {
  w2c0: vec4f,        // rows of world-to-camera: (R row, t)
  w2c1: vec4f,
  w2c2: vec4f,
  focal: vec2f,       // fx, fy
  center: vec2f,      // cx, cy (pixel u spans [u, u+1])
  size: vec2u,        // width, height
  tiles: vec2u,       // tiles along x, y
  limLo: vec2f,       // Jacobian clamp of x/z, y/z
  limHi: vec2f,
  background: vec4f,  // rgb 0..1
  count: u32,         // splats
  near: f32,
  depthBits: u32,     // bits of the depth sort key
  bins: u32,          // binning blocks of depth-ordered splats (bin_count.wgsl)
}

// One projected Gaussian (32 bytes), as preprocess.wgsl writes it and rasterize.wgsl reads it.
struct Projected {
  xy_conic: vec4f,    // centre x, y; conic A, B  (power = -½(A dx² + C dy²) - B dx dy)
  conic_c: f32,       // conic C
  opacity: f32,
  depth: f32,
  color: u32,         // pack4x8unorm(rgb, 0)
}

override TILE: u32 = 8u;  // tile side (px), RENDER_TUNING.tileSize

@group(0) @binding(0) var<uniform> frame: Frame;

fn cameraPoint(p: vec3f) -> vec3f {
  return vec3f(dot(frame.w2c0.xyz, p) + frame.w2c0.w,
               dot(frame.w2c1.xyz, p) + frame.w2c1.w,
               dot(frame.w2c2.xyz, p) + frame.w2c2.w);
}

// Flat index of a 1D job dispatched as a 2D grid of workgroups (65535 per dimension at most).
fn flatIndex(wid: vec3u, nwg: vec3u, lid: u32, wgSize: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * wgSize + lid;
}
