// The reference for bench/bench_map.py: npm's supercluster (what Leaflet and Mapbox users pick)
// over the same public points and viewports as Testigo's /api/v1/map/clusters.
// Input (file named by argv[2]): {"options": {...}, "rounds": N, "sets": {"<label>": {"points": [lon, lat, lon, lat, ...],
// "viewports": [[west, south, east, north, zoom], ...]}}}.
// Output: one JSON line per set: {"set", "n", "load_ms", "times_ms": [one per viewport], "features": [...]}.
import { readFileSync } from 'node:fs';
import Supercluster from 'supercluster';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;

for (const [label, set] of Object.entries(input.sets)) {
  const features = [];
  for (let i = 0; i < set.points.length; i += 2) {
    features.push({ type: 'Feature', properties: { i: i / 2 },
                    geometry: { type: 'Point', coordinates: [set.points[i], set.points[i + 1]] } });
  }
  let start = process.hrtime.bigint();
  const index = new Supercluster(input.options).load(features);
  const loadMs = ms(start);
  // One untimed pass first: the timed one then measures the steady state (compiled code, no
  // lazy allocations), as the Python side's database pages are warm from the seed.
  for (const [w, s, e, n, z] of set.viewports) index.getClusters([w, s, e, n], z);
  // `rounds` passes (default 1), each view's fastest kept: on a loaded machine a single call is
  // often preempted (bench_map.py times its own side the same way).
  const times = set.viewports.map(() => Infinity), counts = [];
  for (let round = 0; round < (input.rounds || 1); round++) {
    set.viewports.forEach(([w, s, e, n, z], i) => {
      start = process.hrtime.bigint();
      const found = index.getClusters([w, s, e, n], z);
      times[i] = Math.min(times[i], ms(start));
      if (round === 0) counts.push(found.length);
    });
  }
  console.log(JSON.stringify({ set: label, n: features.length, load_ms: loadMs, times_ms: times, features: counts }));
}
