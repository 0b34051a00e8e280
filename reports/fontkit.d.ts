/** fontkit ships no types; PDFKit accepts its font objects, which is all we use them for. */
declare module 'fontkit' {
  export interface FontkitFont {
    postscriptName: string;
    layout(text: string): unknown;
  }
  export function openSync(path: string, postscriptName?: string): FontkitFont;
}
