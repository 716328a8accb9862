/**
 * The one place the dashboard takes Ink from. At run time this module is replaced by a bundle of
 * Ink and its dependencies (scripts/bundle-ink.mjs, at `npm install`), React left outside so that
 * there is one React: Ink imports `throttle` from es-toolkit's compat barrel, which loads 415
 * modules, and Node's ESM loader spent ~550 ms of the first frame's time on them here; the bundle
 * loads in ~170 ms. Tests run this file as it is, on Ink from node_modules.
 */
export { Box, Text, render, renderToString, useApp, useInput, useStdout } from 'ink';
