/** Resumable uploads: the errors the visit form's upload script may show. */
export const en: Record<string, string> = {
  'uploads.err.file_too_large': 'This file is larger than the platform accepts.',
  'uploads.err.unsupported_media_type': 'Only photos, audio recordings and PDF files can be attached.',
  'uploads.err.offset_mismatch': 'Part of this file was already sent; sending the rest.',
  'uploads.err.upload_incomplete': 'The file has not been sent completely yet.',
  'uploads.err.upload_completing': 'The file is being attached; one moment.',
  'uploads.err.upload_complete': 'This file has already been attached.',
  'uploads.err.beyond_declared_size': 'The file changed while it was being sent; pick it again.',
  'uploads.err.idempotency_key_reused': 'This upload was started for another file; pick the file again.',
  'uploads.err.too_many_attachments': 'This visit already has the most files allowed.',
  'uploads.err.not_found': 'This visit or upload is not available to you.',
  'uploads.err.too_many_open_uploads':
    'Too many files are half sent from this account. Let them finish, or remove the ones you no longer need.',
};

export const zh: Record<string, string> = {
  'uploads.err.file_too_large': '文件超过平台允许的大小。',
  'uploads.err.unsupported_media_type': '只能添加照片、录音和 PDF 文件。',
  'uploads.err.offset_mismatch': '此文件的一部分已经发送，正在继续发送其余部分。',
  'uploads.err.upload_incomplete': '文件尚未全部发送。',
  'uploads.err.upload_completing': '文件正在添加，请稍候。',
  'uploads.err.upload_complete': '此文件已经添加。',
  'uploads.err.beyond_declared_size': '文件在发送过程中发生了变化，请重新选择。',
  'uploads.err.idempotency_key_reused': '此上传是为另一个文件开始的，请重新选择文件。',
  'uploads.err.too_many_attachments': '此次暗访的文件数量已达上限。',
  'uploads.err.not_found': '此暗访或上传对您不可用。',
  'uploads.err.too_many_open_uploads': '此账号有太多文件尚未发送完。请等它们发送完成，或删除不再需要的文件。',
};
