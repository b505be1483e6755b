/** Tunables of the MCP server. */

/**
 * The MCP server (src/mcp/): what one agent request may cost. Tighter than INPUT_LIMITS because a
 * server is shared and long-lived; `vantage mcp` flags override the store caps.
 */
export const MCP_LIMITS = {
  /** an image or depth map, as a file or decoded base64 */
  maxImageBytes: 32 * 1024 ** 2,
  /** decoded image size: 4096 × 4096 */
  maxImagePixels: 16_777_216,
  /** a 3DGS PLY file given to lift_scene */
  maxPlyBytes: 512 * 1024 ** 2,
  /** images per request (answer_spatial_question and lift_scene fuse several with a trajectory) */
  maxImages: 8,
  /** one scene's typed arrays (56 bytes per Gaussian: 8M Gaussians ≈ 450 MB) */
  maxSceneBytes: 512 * 1024 ** 2,
  /** all scenes kept together; least recently used ones are evicted beyond this */
  storeBytes: 1024 ** 3,
  /** scenes kept at once */
  storeScenes: 16,
  /** longest side of a rendered view */
  maxRenderSide: 2048,
  /** an HTTP request body (JSON with base64 images) */
  maxRequestBytes: 96 * 1024 ** 2,
  /**
   * image bytes in one tool result (all its images together): base64 makes them a third larger, and
   * hosts reject results over 1 MiB (Claude Desktop); a bigger view is re-encoded or scaled to fit
   */
  resultImageBytes: 700 * 1024,
  /** evicted scene ids remembered, so a late render_view says "evicted" rather than "unknown" */
  rememberEvicted: 256,
} as const;
