/**
 * The phone side of the visit form (SPEC §9 "Capture on the phone" and "Offline"): what is kept on
 * this phone and what has reached the platform, capture by camera and microphone, and conflicts.
 * `{placeholders}` are filled by the form's scripts.
 */
export const en: Record<string, string> = {
  'offline.state.phone': 'Saved on this phone — not sent yet ({n} waiting)',
  'offline.state.sending': 'Sending to the platform… ({n} waiting)',
  'offline.state.sent': 'Everything sent to the platform ({time})',
  'offline.state.offline':
    'No connection. Everything is kept on this phone ({n} waiting) and will be sent when the connection returns.',
  'offline.state.signin':
    'Your sign-in has expired. Nothing is lost: sign in again on this phone and the {n} waiting changes will be sent.',
  'offline.state.held': 'Not sent: see the message at the top of the form',
  'offline.file.phone': 'Saved on this phone — not sent yet',
  'offline.file.sending': 'Sending…',
  'offline.file.sent': 'Sent',
  'offline.file.failed': 'Not sent: {message}',
  'offline.place.phone': 'saved on this phone — not sent yet',
  'offline.submit.queued':
    'Your submission is saved on this phone. It will be sent after the answers and files before it, as soon as there is a connection.',
  'offline.submit.sent': 'Submitted.',
  'offline.submit.refused': 'The submission was not accepted: {message} Complete the form and submit again.',
  'offline.conflict.title': 'This visit changed on the platform while this phone was offline',
  'offline.conflict.returned': 'The reviewer returned it for correction with this note: “{note}”.',
  'offline.conflict.changed': 'It was changed from another device or browser (now: {status}).',
  'offline.conflict.closed': 'It can no longer be changed from here (now: {status}).',
  'offline.conflict.kept':
    'Nothing was overwritten and nothing was lost: your answers and files stay on this phone and were not sent. The form shows your phone’s copy.',
  'offline.conflict.todo':
    'What to do: open the platform’s version and compare. Then either send your phone’s copy over it, or keep the platform’s version and drop the phone’s copy.',
  'offline.conflict.todo_closed':
    'What to do: open the visit as it is now. If something on this phone must still reach it, tell your reviewer; the phone’s copy stays here until you drop it.',
  'offline.conflict.open': 'Open the platform’s version',
  'offline.conflict.send': 'Send my phone’s copy over it',
  'offline.conflict.drop': 'Keep the platform’s version (drop the phone’s copy)',
  'offline.conflict.drop_confirm':
    'Drop the answers and files kept on this phone for this visit? This cannot be undone.',
  'offline.net.offline': 'No connection — you can keep working; everything is kept on this phone.',
  'offline.list.waiting': '{n} changes kept on this phone, not sent yet',
  'offline.capture.title': 'Capture',
  'offline.capture.help': 'Photos and recordings are kept on this phone first and sent to the visit in turn.',
  'offline.capture.photo': 'Take a photo',
  'offline.capture.record': 'Record audio',
  'offline.capture.stop': 'Stop recording',
  'offline.capture.recording': 'Recording… {time}',
  'offline.capture.recorded': 'Recording of {time} kept',
  'offline.capture.no_audio':
    'This browser cannot record audio here. Record with the phone’s own recorder app and attach the file below.',
  'offline.capture.mic_refused': 'The microphone was not allowed. Allow it in the browser’s settings to record.',
  'offline.capture.audio_name': 'audio note {time}',
  'offline.start.phone':
    'Saved on this phone — the visit is started on the platform when the connection returns ({n} waiting).',
  'offline.start.continue': 'Continue (started on this phone)',
  'offline.start.title': 'The visit could not be started on the platform',
  'offline.start.exists':
    'This assignment already has a visit on the platform (started from another device or browser). Your answers were not sent over it.',
  'offline.start.withdrawn': 'This assignment is no longer yours or was withdrawn, so the visit cannot be started.',
  'offline.start.refused': 'The platform did not accept the start: {message}',
  'offline.start.todo_refused': 'Correct the visit time or duration below, then try again.',
  'offline.start.retry': 'Try again',
  'offline.start.confirm': 'The time is right — start it anyway',
  'offline.start.open_existing': 'Open the visit on the platform',
  'offline.start.other_user':
    'Changes of another auditor are kept on this phone, not sent: they go when that auditor signs in here again.',
};

export const zh: Record<string, string> = {
  'offline.state.phone': '已保存在本机，尚未发送（{n} 项待发送）',
  'offline.state.sending': '正在发送到平台…（{n} 项待发送）',
  'offline.state.sent': '已全部发送到平台（{time}）',
  'offline.state.offline': '没有网络连接。所有内容都保存在本机（{n} 项待发送），网络恢复后会自动发送。',
  'offline.state.signin': '登录已过期。内容不会丢失：请在本机重新登录，{n} 项待发送的更改随后会发送。',
  'offline.state.held': '未发送：请看表单顶部的说明',
  'offline.file.phone': '已保存在本机，尚未发送',
  'offline.file.sending': '正在发送…',
  'offline.file.sent': '已发送',
  'offline.file.failed': '未发送：{message}',
  'offline.place.phone': '已保存在本机，尚未发送',
  'offline.submit.queued': '您的提交已保存在本机。网络恢复后，会在之前的回答和文件发送完之后发送。',
  'offline.submit.sent': '已提交。',
  'offline.submit.refused': '提交未被接受：{message} 请补全表单后再次提交。',
  'offline.conflict.title': '本机离线期间，这次暗访在平台上已被更改',
  'offline.conflict.returned': '审核员已退回要求更正，备注：“{note}”。',
  'offline.conflict.changed': '它已在其他设备或浏览器上被更改（现在：{status}）。',
  'offline.conflict.closed': '这里已不能再修改它（现在：{status}）。',
  'offline.conflict.kept': '没有任何内容被覆盖或丢失：您的回答和文件仍保存在本机，尚未发送。表单显示的是本机的副本。',
  'offline.conflict.todo': '怎么办：打开平台上的版本进行比较，然后选择用本机副本覆盖它，或保留平台版本并放弃本机副本。',
  'offline.conflict.todo_closed':
    '怎么办：打开这次暗访的当前版本。如果本机上的内容仍需提交，请联系审核员；在您放弃之前，本机副本会一直保留。',
  'offline.conflict.open': '打开平台上的版本',
  'offline.conflict.send': '用本机副本覆盖',
  'offline.conflict.drop': '保留平台版本（放弃本机副本）',
  'offline.conflict.drop_confirm': '放弃本机为这次暗访保存的回答和文件吗？此操作无法撤销。',
  'offline.net.offline': '没有网络连接 — 可以继续填写，所有内容都保存在本机。',
  'offline.list.waiting': '本机有 {n} 项更改尚未发送',
  'offline.capture.title': '现场采集',
  'offline.capture.help': '照片和录音先保存在本机，再依次发送到这次暗访。',
  'offline.capture.photo': '拍照',
  'offline.capture.record': '录音',
  'offline.capture.stop': '停止录音',
  'offline.capture.recording': '正在录音… {time}',
  'offline.capture.recorded': '已保存 {time} 的录音',
  'offline.capture.no_audio': '此浏览器无法在这里录音。请用手机自带的录音应用录音，再在下方添加文件。',
  'offline.capture.mic_refused': '未允许使用麦克风。请在浏览器设置中允许后再录音。',
  'offline.capture.audio_name': '录音 {time}',
  'offline.start.phone':
    '已保存在本机 — 网络恢复后会在平台上开始这次暗访（{n} 项待发送）。在此之前，您填写的所有内容都保存在本机。',
  'offline.start.continue': '继续填写（已在本机开始）',
  'offline.start.title': '这次暗访未能在平台上开始',
  'offline.start.exists': '平台上这项任务已有暗访（在其他设备或浏览器上开始）。您的回答没有被发送去覆盖它。',
  'offline.start.withdrawn': '这项任务已不再分配给您或已被撤回，因此无法开始暗访。',
  'offline.start.refused': '平台未接受开始：{message}',
  'offline.start.todo_refused': '请在下方更正到访时间或时长，然后重试。',
  'offline.start.retry': '重试',
  'offline.start.confirm': '时间无误 — 仍然开始',
  'offline.start.open_existing': '打开平台上的暗访',
  'offline.start.other_user': '本机保存着另一位暗访员尚未发送的更改：等该暗访员在本机重新登录后才会发送。',
};

/** The words the form's scripts show themselves (public/visit-sync.js, visit-evidence.js, visit-capture.js). */
export const OFFLINE_WORDS = Object.keys(en);
