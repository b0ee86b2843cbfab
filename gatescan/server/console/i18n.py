"""Console wording in English and Simplified Chinese: one table, English text as the key.

The language comes from the `gatescan_lang` cookie (set by the toggle in the
header), else from Accept-Language, else English.
"""

from __future__ import annotations

LANGS = ("en", "zh_CN")
LANG_COOKIE = "gatescan_lang"

ZH: dict[str, str] = {
    "GateScan console": "GateScan 控制台",
    "Skip to content": "跳到正文",
    "Events": "活动",
    "Audit log": "审计日志",
    "API docs": "API 文档",
    "Dashboard": "仪表板",
    "Sign in": "登录",
    "Sign out": "退出登录",
    "Signed in as": "当前账号",
    "E-mail": "电子邮箱",
    "Password": "密码",
    "Wrong e-mail or password.": "电子邮箱或密码错误。",
    "Your session has ended: sign in again.": "会话已结束，请重新登录。",
    "New event": "新建活动",
    "Active events": "进行中的活动",
    "Archived events": "已归档的活动",
    "Show archived events": "显示已归档的活动",
    "Show active events": "显示进行中的活动",
    "No events here yet.": "这里还没有活动。",
    "Name": "名称",
    "Venue": "场地",
    "Time zone (IANA, e.g. Europe/Berlin)": "时区（IANA，例如 Asia/Shanghai）",
    "Time zone": "时区",
    "Doors open": "入场开始",
    "Start": "开始",
    "End": "结束",
    "Rotation period (seconds)": "二维码轮换周期（秒）",
    "Gates and zones": "闸口与区域",
    "Gate": "闸口",
    "Zone": "区域",
    "Ticket types": "票种",
    "Zones (comma-separated, empty: any)": "区域（逗号分隔，留空：任意）",
    "Gates (comma-separated, empty: any)": "闸口（逗号分隔，留空：任意）",
    "Group size (entries)": "团体人数（入场次数）",
    "Entries counted per day (multi-day)": "按天计入场次数（多日票）",
    "Re-entry allowed": "允许再次入场",
    "Time slot from": "时段开始",
    "Time slot until": "时段结束",
    "Inventory limit (empty: none)": "库存上限（留空：不限）",
    "Empty rows are ignored; save to get more empty rows.": "空行会被忽略；保存后可获得更多空行。",
    "yes": "是",
    "no": "否",
    "Save": "保存",
    "Create event": "创建活动",
    "Duplicate": "复制",
    "Archive": "归档",
    "Restore": "恢复",
    "Delete draft": "删除草稿",
    "Event saved.": "活动已保存。",
    "Event created.": "活动已创建。",
    "Event duplicated: this is the copy.": "活动已复制：这是副本。",
    "Event archived.": "活动已归档。",
    "Event restored.": "活动已恢复。",
    "Event deleted.": "活动已删除。",
    "The event was not saved:": "活动未保存：",
    "draft": "草稿",
    "archived": "已归档",
    "tickets": "张票",
    "scans": "次扫码",
    "Your role": "你的角色",
    "owner": "所有者",
    "staff": "工作人员",
    "viewer": "只读",
    "You can only view this event.": "你只能查看此活动。",
    "When": "时间",
    "Who": "操作人",
    "Event": "活动",
    "Action": "操作",
    "Details": "详情",
    "Nothing recorded yet.": "尚无记录。",
    "Not allowed": "不允许",
    "Your role does not allow this.": "你的角色不允许此操作。",
    "Not found": "未找到",
    "There is no such page or event.": "没有这个页面或活动。",
    "Back to events": "返回活动列表",
    "The form had expired or did not come from this page: nothing was changed.":
        "表单已过期或并非来自本页面：未做任何更改。",
    "Language": "语言",
    # Event pages and the USB round trip (scans import)
    "Event pages": "活动页面",
    "Import scans": "导入扫码记录",
    "Import scans from a gate's USB stick": "从闸机的 U 盘导入扫码记录",
    "Nothing was imported:": "未导入任何记录：",
    "The file": "文件",
    "stored": "已保存",
    "duplicate": "重复",
    "already here (duplicates)": "已存在（重复）",
    "rejected": "已拒绝",
    "skipped": "已跳过",
    "in a conflict": "存在冲突",
    "conflict": "冲突",
    "Line": "行",
    "Result": "结果",
    "Scan id": "扫码编号",
    "Why": "原因",
    "more rows not listed.": "行未列出。",
    "Rows stored as new are not listed.": "新保存的行未列出。",
    "Export file (CSV from the kiosk's “Export scans…”, or JSON Lines from gatescan "
    "export-scans)": "导出文件（自助闸机“导出扫码记录…”的 CSV，或 gatescan export-scans 的 "
                     "JSON Lines）",
    "The gate device the file came from": "文件来自哪台闸机设备",
    "Not known (match scans by id)": "不确定（按扫码编号匹配）",
    "Importing the same file twice, or importing it and letting the gate sync later, stores "
    "every scan once.": "同一文件导入两次，或导入后闸机再同步，每条扫码记录都只保存一次。",
    "Import": "导入",
    "Choose the file to import.": "请选择要导入的文件。",
}

TABLES: dict[str, dict[str, str]] = {"en": {}, "zh_CN": ZH}


def pick(cookie: str | None, accept_language: str | None) -> str:
    """The page language: the toggle's cookie, else the browser's first zh/en preference."""
    if cookie in LANGS:
        return str(cookie)
    for part in (accept_language or "").split(",")[:20]:
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
    return "en"


def translate(lang: str, text: str) -> str:
    """`text` in `lang` (the English text itself when there is no translation)."""
    return TABLES.get(lang, {}).get(text, text)
