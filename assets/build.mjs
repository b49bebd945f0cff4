// Copies the JavaScript the pages load into portal/static/build/.
// The stylesheet is compiled by Sass (see "build:css" in package.json).
//
// No GOV.UK images or fonts are copied: the crown, the GOV.UK icons and the
// GDS Transport font are for GOV.UK services only.
import { copyFileSync, mkdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "portal", "static", "build");

const files = [
  "node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js",
  "assets/js/init.mjs",
];

mkdirSync(out, { recursive: true });
for (const file of files) {
  copyFileSync(join(root, file), join(out, basename(file)));
}
