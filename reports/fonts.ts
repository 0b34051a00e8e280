import fs from 'node:fs';
import * as fontkit from 'fontkit';

/**
 * The CJK font embedded (as a subset) in every report. The project's set-up installs the Debian
 * package fonts-wqy-microhei (a TrueType collection: quick to subset, small output); Noto Sans CJK
 * (fonts-noto-cjk) is the fallback. Both also cover Latin text, so one font serves zh and en.
 */
const CANDIDATES: { path: string; postscriptName: string }[] = [
  { path: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', postscriptName: 'WenQuanYiMicroHei' },
  { path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', postscriptName: 'NotoSansCJKsc-Regular' },
];

export class ReportFontMissingError extends Error {}

let cached: fontkit.FontkitFont | undefined;

/**
 * Parsed once per process: PDFKit accepts the parsed font, so each report only pays for its subset
 * (re-parsing the 5 MB collection per document would triple the time of a branch report).
 */
export function reportFont(): fontkit.FontkitFont {
  if (cached) return cached;
  const found = CANDIDATES.find((c) => fs.existsSync(c.path));
  if (!found) {
    throw new ReportFontMissingError(`No CJK font for the PDF reports: install fonts-wqy-microhei (bash scripts/setup.sh). Looked for ${CANDIDATES.map((c) => c.path).join(', ')}`);
  }
  cached = fontkit.openSync(found.path, found.postscriptName);
  return cached;
}
