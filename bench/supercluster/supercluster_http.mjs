// The HTTP reference for bench/bench_map.py: a minimal node http server answering supercluster's
// getClusters(bbox, zoom) as JSON, for the same public points and viewports as Testigo's
// /api/v1/map/clusters under gunicorn. Input (file named by argv[2]): {"options": {...},
// "points": [lon, lat, lon, lat, ...]}. Prints {"port": N} once listening on 127.0.0.1; answers
// GET /clusters?bbox=west,south,east,north&zoom=Z; stops on SIGTERM or when stdin closes.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import Supercluster from 'supercluster';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const features = [];
for (let i = 0; i < input.points.length; i += 2) {
  features.push({ type: 'Feature', properties: { i: i / 2 },
                  geometry: { type: 'Point', coordinates: [input.points[i], input.points[i + 1]] } });
}
const index = new Supercluster(input.options).load(features);

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  const bbox = (url.searchParams.get('bbox') || '').split(',').map(Number);
  const zoom = Number(url.searchParams.get('zoom'));
  if (url.pathname !== '/clusters' || bbox.length !== 4 || bbox.some(Number.isNaN) || Number.isNaN(zoom)) {
    res.writeHead(400, { 'Content-Type': 'text/plain' });
    res.end('bad request');
    return;
  }
  const body = JSON.stringify(index.getClusters(bbox, zoom));
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port, n: features.length })));
process.stdin.on('end', () => server.close(() => process.exit(0)));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
