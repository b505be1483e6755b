// Points mode: compute-pass splatting (on lavapipe ~20× faster than a point-list render pipeline).
// Each point covers the pixels whose centre lies in the square of half-size
// r = clamp(max(scale)·fx/z·K, ½, MAX_R) around its projection. Two passes, both entry points here:
//   depthPass: per pixel, the nearest depth (atomicMax of the complemented f32 bits, 0 = empty);
//   indexPass: among points at exactly that depth, the lowest index (atomicMax of ~index).
// Reference: pointFootprint() / renderPoints().

override K: f32 = 1.0;
override MAX_R: f32 = 16.0;
override MIN_ALPHA: f32 = 0.003921569;

@group(0) @binding(1) var<storage, read> posOpacity: array<vec4f>;
@group(0) @binding(2) var<storage, read> scales: array<f32>;
@group(0) @binding(3) var<storage, read_write> zbuf: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> ibuf: array<atomic<u32>>;

struct Footprint { lo: vec2u, hi: vec2u, zkey: u32, ok: bool }

fn footprint(i: u32) -> Footprint {
  var f: Footprint;
  f.ok = false;
  let po = posOpacity[i];
  let t = cameraPoint(po.xyz);
  if (!(po.w >= MIN_ALPHA) || !(t.z >= frame.near)) { return f; }
  let s = max(scales[3u * i], max(scales[3u * i + 1u], scales[3u * i + 2u]));
  let r = min(MAX_R, max(0.5, s * frame.focal.x / t.z * K));
  let xy = frame.focal * t.xy / t.z + frame.center;
  let lo = max(ceil(xy - r - 0.5), vec2f(0.0));
  let hi = min(floor(xy + r - 0.5), vec2f(frame.size - 1u));
  if (!(lo.x <= hi.x && lo.y <= hi.y)) { return f; }
  f.lo = vec2u(lo);
  f.hi = vec2u(hi);
  f.zkey = ~bitcast<u32>(t.z);   // positive floats order as their bits: nearer = larger key
  f.ok = true;
  return f;
}

@compute @workgroup_size(256)
fn depthPass(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
             @builtin(local_invocation_index) lid: u32) {
  let i = flatIndex(wid, nwg, lid, 256u);
  if (i >= frame.count) { return; }
  let f = footprint(i);
  if (!f.ok) { return; }
  for (var v = f.lo.y; v <= f.hi.y; v++) {
    for (var u = f.lo.x; u <= f.hi.x; u++) { atomicMax(&zbuf[v * frame.size.x + u], f.zkey); }
  }
}

@compute @workgroup_size(256)
fn indexPass(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
             @builtin(local_invocation_index) lid: u32) {
  let i = flatIndex(wid, nwg, lid, 256u);
  if (i >= frame.count) { return; }
  let f = footprint(i);
  if (!f.ok) { return; }
  for (var v = f.lo.y; v <= f.hi.y; v++) {
    for (var u = f.lo.x; u <= f.hi.x; u++) {
      let p = v * frame.size.x + u;
      if (atomicLoad(&zbuf[p]) == f.zkey) { atomicMax(&ibuf[p], ~i); }
    }
  }
}
