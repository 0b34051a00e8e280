/**
 * Evidence as the web pages and the form's scripts show it: a link to the file, inline when it is an
 * image the browsers all show. One rule for the visit pages and the form's resumable uploads.
 */
/** Shown inline; other types (HEIC, PDF, audio) are links, since browsers cannot be relied on to show them. */
export const INLINE_IMAGES = new Set(['image/jpeg', 'image/png', 'image/webp']);

/** Evidence as the pages list it: a link to the file, inline when it is an image. */
export function attachmentLink<A extends { id: string; contentType: string; size: number }>(visitId: string, a: A) {
  return {
    ...a,
    url: `/visits/${visitId}/attachments/${a.id}`,
    image: INLINE_IMAGES.has(a.contentType),
    kb: Math.max(1, Math.round(a.size / 1024)),
  };
}
