/** linebreak (the Unicode line-breaking algorithm PDFKit wraps text with) ships no types. */
declare module 'linebreak' {
  export default class LineBreaker {
    constructor(text: string);
    nextBreak(): { position: number; required: boolean } | null;
  }
}
