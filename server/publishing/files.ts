import type { FileKind } from './model';

/**
 * File names of the PDFs: readable, in the bank's own words (often Chinese), plus an ASCII
 * fallback for old clients; sent as RFC 6266 / RFC 5987 `Content-Disposition`.
 */
export function fileName(
  bank: { code: string; name: string; language?: string },
  report: { quarter: string; version: number },
  f: { kind: FileKind | string; name: string; branchCode?: string | null; region?: string | null },
): { utf8: string; ascii: string } {
  const base = `${bank.name}_${report.quarter}_v${report.version}`;
  const asciiBase = `${bank.code}_${report.quarter}_v${report.version}`;
  const zh = bank.language !== 'en';
  if (f.kind === 'bank')
    return { utf8: clean(`${base}_${zh ? '全行报告' : 'bank report'}.pdf`), ascii: ascii(`${asciiBase}_bank.pdf`) };
  if (f.kind === 'region')
    return { utf8: clean(`${base}_${f.name}.pdf`), ascii: ascii(`${asciiBase}_region_${f.region ?? f.name}.pdf`) };
  return {
    utf8: clean(`${base}_${f.branchCode ?? ''}_${f.name}.pdf`),
    ascii: ascii(`${asciiBase}_branch_${f.branchCode ?? f.name}.pdf`),
  };
}

/** No path separators, quotes or control characters in a file name, whatever the data says. */
function clean(name: string): string {
  return name.replace(/[\u0000-\u001f\u007f"\\/:*?<>|]/g, '_').replace(/\s+/g, ' ');
}

function ascii(name: string): string {
  return clean(name)
    .replace(/[^\x20-\x7e]/g, '_')
    .replace(/_+/g, '_');
}

const rfc5987 = (s: string) =>
  encodeURIComponent(s).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export function contentDisposition(name: { utf8: string; ascii: string }): string {
  return `attachment; filename="${name.ascii}"; filename*=UTF-8''${rfc5987(name.utf8)}`;
}
