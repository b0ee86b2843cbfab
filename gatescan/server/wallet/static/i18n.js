// The wallet's words in English and Simplified Chinese. Elements with data-i18n get
// their text from here; code asks t(key, {name: value}).

const STRINGS = {
  en: {
    title: "GateScan ticket",
    other_language: "中文",
    loading: "Loading…",
    claiming: "Adding the ticket to this phone…",
    type: "Ticket",
    slot: "Time slot",
    seat: "Seat",
    valid: "Valid",
    next_code: "New code in {s} s",
    brightness: "Turn your screen brightness up and hold the phone flat to the gate's camera.",
    offline: "Offline: your code still works.",
    full_code: "Full code",
    short_code: "Short code",
    full_code_help: "If the gate asks for the full code, tap Full code.",
    transfer: "Give this ticket to a friend",
    transfer_confirm: "Make a link for a friend? When they open it, the ticket moves to their phone and stops working on this one.",
    transfer_title: "Link for your friend",
    transfer_help: "Your friend opens this link on their phone (or scans this code). Until they do, your ticket keeps working here. The link works once, for 48 hours.",
    transfer_pending: "A transfer link is waiting to be opened.",
    copy: "Copy link",
    copied: "Copied",
    ticket_number: "Ticket number",
    copy_number: "Copy number",
    number_help: "If your phone dies, the gate can find your ticket by this number.",
    share: "Share",
    close: "Close",
    cancel: "Cancel",
    make_link: "Make link",
    retry: "Try again",
    remove: "Remove from this phone",
    remove_confirm: "Remove this ticket from this phone?",
    superseded: "This ticket now belongs to another phone. Its code no longer works here.",
    revoked: "This ticket was cancelled.",
    none_title: "No ticket on this phone yet",
    none_text: "Open the ticket link you were sent (by e-mail or message) on this phone.",
    unsupported_title: "This browser cannot hold a ticket",
    unsupported_text: "The wallet needs a browser with Ed25519 keys in Web Crypto (Chrome or Edge 137+, Safari 17+, Firefox 129+) and a secure (HTTPS) page.",
    insecure_text: "Open this page over HTTPS: the browser only makes keys on secure pages.",
    claim_failed: "The ticket could not be added",
    claim_used: "This ticket was already added to another phone. Ask the sender for a new link.",
    claim_expired: "This ticket link has expired or was replaced by a newer one.",
    claim_unknown: "This ticket link is not known. Check that you opened the whole link.",
    claim_stale: "This ticket changed hands after the link was made. Ask for a new link.",
    claim_revoked: "This ticket was cancelled.",
    network: "No connection to the ticket server. Check your mobile data and try again.",
    server_error: "The ticket server could not answer ({code}). Try again in a moment.",
    transfer_failed: "No transfer link: {reason}",
    used: "Used: admitted at {gate}, {when}. A used ticket cannot be given to someone else.",
    used_no_transfer: "this ticket was already used, so it cannot be given to someone else",
  },
  zh: {
    title: "GateScan 电子票",
    other_language: "English",
    loading: "正在加载…",
    claiming: "正在把门票添加到这部手机…",
    type: "票种",
    slot: "入场时段",
    seat: "座位",
    valid: "有效期",
    next_code: "{s} 秒后更新二维码",
    brightness: "请调高屏幕亮度，并将手机平放对准闸机摄像头。",
    offline: "已离线：二维码仍然有效。",
    full_code: "完整码",
    short_code: "短码",
    full_code_help: "如果闸机要求出示完整码，请点“完整码”。",
    transfer: "转赠给朋友",
    transfer_confirm: "要为朋友生成转赠链接吗？朋友打开后，门票将转到对方手机，本机的二维码随即失效。",
    transfer_title: "转赠链接",
    transfer_help: "请朋友在自己的手机上打开此链接（或扫描此二维码）。在对方打开之前，本机门票仍然有效。链接只能使用一次，48 小时内有效。",
    transfer_pending: "转赠链接尚未被打开。",
    copy: "复制链接",
    copied: "已复制",
    ticket_number: "票号",
    copy_number: "复制票号",
    number_help: "如果手机没电，闸机工作人员可凭此票号查到您的门票。",
    share: "分享",
    close: "关闭",
    cancel: "取消",
    make_link: "生成链接",
    retry: "重试",
    remove: "从本机移除",
    remove_confirm: "要从本机移除这张门票吗？",
    superseded: "这张门票已属于另一部手机，本机二维码已失效。",
    revoked: "这张门票已被取消。",
    none_title: "本机还没有门票",
    none_text: "请在这部手机上打开您收到的门票链接（邮件或短信）。",
    unsupported_title: "此浏览器无法保存门票",
    unsupported_text: "电子票需要支持 Web Crypto Ed25519 密钥的浏览器（Chrome 或 Edge 137 以上、Safari 17 以上、Firefox 129 以上），并通过安全的 HTTPS 页面打开。",
    insecure_text: "请通过 HTTPS 打开此页面：浏览器只在安全页面中生成密钥。",
    claim_failed: "无法添加门票",
    claim_used: "这张门票已添加到另一部手机。请向发送者索取新链接。",
    claim_expired: "此门票链接已过期，或已被新链接取代。",
    claim_unknown: "无法识别此门票链接。请确认打开的是完整链接。",
    claim_stale: "生成链接后门票已转手。请索取新链接。",
    claim_revoked: "这张门票已被取消。",
    network: "无法连接票务服务器。请检查移动数据后重试。",
    server_error: "票务服务器暂时无法响应（{code}）。请稍后重试。",
    transfer_failed: "无法生成转赠链接：{reason}",
    used: "已使用：{when} 于 {gate} 入场。已使用的门票不能转赠。",
    used_no_transfer: "这张门票已经使用过，不能转赠",
  },
};

const STORAGE_KEY = "gatescan-wallet-lang";
let current = "en";

/** The stored choice, else the browser's preference (any zh-* is Simplified Chinese). */
export function initialLanguage(stored, preferred) {
  if (stored && stored in STRINGS) return stored;
  return (preferred || []).some((l) => String(l).toLowerCase().startsWith("zh")) ? "zh" : "en";
}

export function setLanguage(lang, remember = false) {
  current = lang in STRINGS ? lang : "en";
  if (remember) {
    try { localStorage.setItem(STORAGE_KEY, current); } catch { /* private mode: not kept */ }
  }
  if (typeof document !== "undefined") document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
  return current;
}

export function language() {
  return current;
}

export function storedLanguage() {
  try { return localStorage.getItem(STORAGE_KEY); } catch { return null; }
}

/** The text for `key` in the current language, with {name} placeholders filled. */
export function t(key, vars = {}) {
  const text = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

/** Fill every [data-i18n] element under `root`. */
export function translatePage(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  document.title = t("title");
}

export const LANGUAGES = Object.keys(STRINGS);
export const KEYS = STRINGS;
