import path from 'node:path';
import express, { type Router } from 'express';
import { config } from '../config';

/**
 * What the phone needs to work offline (SPEC §9): the service worker at the site's root (so its scope
 * covers /assignments and /visits), and the browser builds of Workbox and idb served from the app's
 * own node_modules (no CDN; the CSP allows only 'self'). Only the files named here are served.
 */
const WORKBOX_MODULES = [
  'workbox-sw',
  'workbox-core',
  'workbox-routing',
  'workbox-strategies',
  'workbox-expiration',
  'workbox-cacheable-response',
];

function vendorFiles(): Map<string, string> {
  const modules = path.join(config().projectRoot, 'node_modules');
  const files = new Map<string, string>();
  for (const name of WORKBOX_MODULES) {
    const file = name === 'workbox-sw' ? 'workbox-sw.js' : `${name}.prod.js`;
    files.set(`workbox/${file}`, path.join(modules, name, 'build', file));
  }
  files.set('idb/umd.js', path.join(modules, 'idb', 'build', 'umd.js'));
  return files;
}

export function offlineAssets(): Router {
  const r = express.Router();
  const files = vendorFiles();
  const maxAge = config().NODE_ENV === 'production' ? '1d' : 0;
  r.get('/static/vendor/:dir/:file', (req, res, next) => {
    const file = files.get(`${req.params.dir}/${req.params.file}`);
    if (!file) return next();
    res.type('application/javascript').sendFile(file, { maxAge });
  });
  // The worker itself is always checked for a newer version (browsers cap its cache at 24 h anyway).
  r.get('/sw.js', (_req, res) => {
    res.set('Cache-Control', 'no-cache');
    res.type('application/javascript').sendFile(path.join(config().projectRoot, 'public', 'sw.js'));
  });
  return r;
}
