"""The AR street view's logic, no Qt and no vispy: what a phone at street level shows.

The small API (all positions EPSG:2326 metres, heights above HKPD, headings compass degrees):

- `devices`: `PRESETS`, `get_device(name | "custom:FOV")`, `DevicePreset.image_size(orientation)`:
  phones and tablets with their main camera's long-side field of view (source per preset).
- `projection.PhoneCamera(x, y, z, heading_deg, pitch_deg, fov_long_deg, width, height)` and
  `PhoneCamera.at(x, y, ground_m, heading, pitch, device, orientation)` (eye 1.6 m up):
  `project(points) -> (u, v, depth)`, `pixel_rays`, `view_matrix(origin)`,
  `projection_matrix()` (OpenGL, for the renderer to draw the same projection).
- `occlusion.Occluder.from_city(city, around, radius_m)` or `.from_meshes(meshes, terrain,
  origin)`: `segments_clear(starts, ends)`; `occlusion_for(camera, anchors, occluder)` ->
  `Occlusion` (per anchor: n x n card points, which are clear, `visible_fraction`, `state`:
  `Visibility.HIDDEN | GHOSTED | VISIBLE`).
- `layout.layout_anchors(camera, anchors, occluder, limit, relevance, kinds)` ->
  `[AnchorView]`: state, card rectangle in pixels, distance, `shown` after the declutter rule,
  `kind` ("card", "image" or "model": `card_kind`; a model's title card stands above it).
- `content.anchor_content(anchor, base)` -> `AnchorContent` (`image: CardImage` RGBA,
  `model: AnchorModel` fitted to `content_size_m`, `errors`); `load_image`, `load_model`:
  bounded, cached by path and mtime, `DataError` naming `ANCHOR_ID.image` / `.model`.
- `localisation.anchor_stability(anchors, buildings, model="vps" | "gnss-canyon" | ErrorModel,
  terrain, viewer)` -> `[AnchorStability]` (score 0..1, drift `envelope` with `.outline()`,
  `placements`, `.row()`); `stability_rows(anchors, city, model)`: the table the planning panel
  and the report list.
- `hud.hud_at(coverage_result | None, x, y)` -> `CoverageReading` (RSRP, SINR, throughput,
  latency or "not evaluated", `.lines()`); `hud.nearest_live([LiveSeries], x, y)`.
- `walk.sample_path(points, speed_m_s=1.4, dt_s, ground)` -> `WalkPath`;
  `walk.evaluate_walk(path, anchors, occluder, coverage)` -> `WalkReport` (`.table()`, `.chart()`);
  `walk.record_walk(out, path, render(camera) -> image)`.
- `record.record_video(path.mp4 | path.gif, render(i) -> image, n_frames, fps, progress)`.
"""
