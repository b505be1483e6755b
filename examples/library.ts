/**
 * The library API in one page: lift a scene, render two novel views, and answer a spatial question
 * with the built-in pixel perceiver (no endpoint, no key; WebGPU when there is an adapter, else the
 * TypeScript reference renderer).
 *
 *   npm run build && npx tsc -p examples && node dist/examples/library.js [OUT_DIR]
 *   node dist/examples/library.js OUT_DIR rgb.png depth.png     # your own RGB-D pair (16-bit PNG, mm)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { answer, createRenderer, liftScene, renderView, type LiftInput, type Pose } from 'vantage-nvs';

const [out = 'vantage-out/example', image, depth] = process.argv.slice(2);

// 1. Lift: a photo with its depth map, or a procedural fixture scene (five objects on a table).
const input: LiftInput = image && depth ? { image, depth } : { fixture: 'tabletop' };
const lifted = await liftScene(input);
console.log(`lifted ${lifted.scene.count} Gaussians (${lifted.scene.units}); ${lifted.info.intrinsics}`);

// One renderer for every view (creating a GPU device per view would be slow).
const renderer = await createRenderer();
try {
  // 2. Render two novel views: swung 45° to the right and raised 20°, and straight down from above.
  const poses: Pose[] = [
    { mode: 'orbit', azimuth_deg: 45, elevation_deg: 20, distance_scale: 1 },
    { mode: 'preset', name: 'top_down' },
  ];
  await mkdir(out, { recursive: true });
  for (const [i, pose] of poses.entries()) {
    const view = await renderView(lifted, pose, { renderer, width: 384 });
    const file = join(out, `view-${i}.png`);
    await writeFile(file, view.png);
    // coverage: the share of pixels that are real surface (the rest were never seen: marked magenta)
    console.log(`${file}: ${view.caption}; coverage ${(view.coverageRatio * 100).toFixed(0)}%`);
  }

  // 3. Answer a question: the model looks again from poses it picks, and the answers are fused.
  // (on the fixture, the red box is nearer the camera than the purple one: from the far side it is behind)
  const result = await answer(
    lifted,
    'Seen from the opposite side of the table, is the red box in front of or behind the purple box?',
    {
      options: ['in front', 'behind'],
      model: 'builtin:perceiver', // or a model served at $OPENAI_BASE_URL, e.g. 'gpt-4o'
      config: { maxRounds: 2 },
      renderer,
      traceDir: join(out, 'trace'),
    },
  );
  console.log(
    `answer: ${result.choice}) ${result.option ?? ''}  p=${result.probability.toFixed(2)}  ` +
      `after ${result.rounds} round(s), stopped: ${result.stopReason}`,
  );
  console.log(`posterior: ${JSON.stringify(result.posterior)}`);
  console.log(`trace: ${result.indexHtml}`);
} finally {
  renderer.dispose();
}
