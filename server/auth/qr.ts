import QRCode from 'qrcode';

/** The otpauth:// URL as an inline SVG QR code (no script, no image request: the page's CSP stays strict). */
export function qrSvg(otpauthUrl: string): Promise<string> {
  return QRCode.toString(otpauthUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 2, width: 220 });
}

/** The secret in groups of four, for typing it into an app by hand. */
export const groupedSecret = (secret: string): string => secret.match(/.{1,4}/g)?.join(' ') ?? secret;
