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
    # Devices
    "Devices": "设备",
    "Gate devices": "闸机设备",
    "Device": "设备",
    "Status": "状态",
    "Last seen": "最近在线",
    "Last upload": "最近上传",
    "Scans": "扫码",
    "Repeat reads": "重复读取",
    "Conflicts": "冲突",
    "Clock": "时钟",
    "Manage": "管理",
    "any gate": "任意闸口",
    "any gate of the event": "活动的任意闸口",
    "online": "在线",
    "offline": "离线",
    "pending": "待登记",
    "active": "使用中",
    "revoked": "已吊销",
    "never": "从未",
    "{n} {unit} ago": "{n} {unit}前",
    "{n} s ago": "{n} 秒前",
    "d": "天",
    "h": "小时",
    "min": "分钟",
    "latest upload": "最近上传",
    "scans with an impossible time": "条扫码时间不可能",
    "Its scan log no longer matches what it sent before.": "它的扫码日志与之前上传的不一致。",
    "Heard:": "听到：",
    "{n} s before its last report": "在其最近一次报告前 {n} 秒",
    "Gate of": "闸口：",
    "Assign gate": "分配闸口",
    "New enrollment QR": "新的登记二维码",
    "Revoke": "吊销",
    "Revoke…": "吊销…",
    "For good: its token is refused and the gate wipes its event data.":
        "永久生效：拒绝其令牌，闸机将清除活动数据。",
    "Not changed:": "未更改：",
    "No devices yet: add the first gate below.": "还没有设备：请在下方添加第一台闸机。",
    "Add a gate device": "添加闸机设备",
    "Name (e.g. North lane 1)": "名称（例如 北门 1 号通道）",
    "Add and show its QR": "添加并显示二维码",
    "Online: seen in the last three minutes. Clock: how much later the server received the "
    "latest upload than the gate's clock said it was scanned (its clock offset plus the wait "
    "to upload). Unsent: the scans the gate still held at its latest sync request (a gate "
    "that is offline may hold more).":
        "在线：最近三分钟内连接过。时钟：服务器收到最近一次上传的时间比闸机时钟记录的扫码时间晚多少"
        "（即时钟偏差加上等待上传的时间）。未上传：闸机最近一次同步请求时仍未上传的扫码数"
        "（离线的闸机可能更多）。",
    "Unsent": "未上传",
    "app": "应用",
    "Gate assigned.": "闸口已分配。",
    "Device revoked: its token is refused from now on.": "设备已吊销：从现在起拒绝其令牌。",
    "The device was already revoked.": "该设备此前已被吊销。",
    "Enroll a gate device": "登记闸机设备",
    "Enroll": "登记",
    "Open the gate's set-up screen.": "打开闸机的设置页面。",
    "Hold this screen in front of the gate's camera (or paste the text below there and press "
    "Enroll; on a command line: gatescan enroll 'TEXT').":
        "把这个屏幕对准闸机的摄像头（或把下面的文字粘贴到那里并点击“登记”；命令行："
        "gatescan enroll '文字'）。",
    "The gate downloads the event and starts scanning; this page's device list shows it "
    "online.": "闸机下载活动数据后开始扫码；本页的设备列表会显示它在线。",
    "One-time code": "一次性登记码",
    "Valid until": "有效期至",
    "shown only on this page": "只在本页显示",
    "Server address in the code": "二维码中的服务器地址",
    "This address is this computer's own (loopback): a gate on the venue network cannot "
    "reach it. Start the server with --url http://ADDRESS:PORT (its LAN address), then make "
    "a new QR.": "这是本机自身的地址（回环地址）：场馆网络中的闸机无法访问。请用 --url "
                 "http://地址:端口（局域网地址）启动服务器，然后生成新的二维码。",
    "Text of the code (to paste into gatescan enroll)": "二维码的文字（可粘贴到 gatescan enroll）",
    "Done: back to devices": "完成：返回设备列表",

    # Live view
    "Live": "实时",
    "Now": "当前",
    "inside now": "场内人数",
    "entries": "入场",
    "exits": "出场",
    "conflicts": "冲突",
    "Lanes: entries per minute, last 30 minutes": "通道：最近 30 分钟每分钟入场人数",
    "per min": "每分钟",
    "max": "最高",
    "now": "现在",
    "arrivals": "到达",
    "throughput": "通行能力",
    "wait": "等候",
    "idle": "空闲",
    "full": "满负荷",
    "few scans": "扫码太少",
    "No gates yet.": "还没有闸口。",
    "Wait: an estimate from scans alone (a single queue per gate): arrivals are the scans of "
    "the last five minutes, throughput what the gate's scanners serve when people wait. "
    "“Full”: the gate scans near its throughput, so a queue is likely building; “few scans”: "
    "too few yet to time its scanners.":
        "等候时间：仅根据扫码估算（每个闸口视为一条队列）：到达为最近五分钟的扫码数，通行能力为"
        "有人排队时该闸口扫码设备的处理速度。“满负荷”：闸口接近其通行能力，队伍很可能在变长；"
        "“扫码太少”：还无法测出其扫码设备的速度。",
    "Admitted of sold, per ticket type": "各票种已入场 / 已售",
    "Ticket type": "票种",
    "Admitted": "已入场",
    "Sold": "已售",
    "Conflicts: one ticket admitted more often than allowed": "冲突：同一张票入场次数超过允许",
    "allowed": "允许",
    "no conflicts": "没有冲突",
    "updated": "更新于",
    "via import": "通过导入",
    "via push": "通过同步",
    "Signed out: reload the page to sign in again.": "已退出登录：请刷新页面重新登录。",
    "No connection to the server: retrying.": "无法连接服务器：正在重试。",

    # tickets (console/tickets.py)
    'Tickets': '门票',
    'Nothing was issued:': '未签发任何门票：',
    'issued': '已签发',
    'already issued': '此前已签发',
    'already': '此前已签发',
    'Columns ignored:': '已忽略的列：',
    'Download the mail-merge CSV of the new tickets': '下载新门票的邮件合并 CSV',
    ('The links are shown only now: download the file before you leave this page. A new'
     ' link for a ticket (re-send) makes its older links stop working.'):
        ('链接只在此时显示：离开本页前请先下载文件。为门票生成新链接（重新发送）后，旧链接'
         '即失效。'),
    'Order code': '订单号',
    'Type': '票种',
    'Ticket': '门票',
    'Search by ticket number, order code or name': '按票号、订单号或姓名搜索',
    'Search': '搜索',
    'Seat': '座位',
    'State': '状态',
    'refunded': '已退款',
    'on a phone': '已领取到手机',
    'not claimed yet': '尚未领取',
    'The newest 100 matching tickets are listed: search to narrow them.':
        '仅列出最新的 100 张匹配门票：请搜索以缩小范围。',
    'No tickets match.': '没有匹配的门票。',
    'No tickets yet.': '还没有门票。',
    'Printable sheet and mail merge': '打印页与邮件合并',
    'For the tickets this search lists (all tickets when it is empty).':
        '针对本次搜索列出的门票（搜索为空时为全部门票）。',
    'Printable sheet…': '打印页…',
    'Mail-merge CSV': '邮件合并 CSV',
    'Download the mail-merge CSV': '下载邮件合并 CSV',
    'Import attendees': '导入参会者',
    ('Attendee CSV (columns order_code, type, and optionally seat, name, valid_from,'
     ' valid_until)'):
        ('参会者 CSV（列：order_code、type，可选 seat、name、v'
         'alid_from、valid_until）'),
    ('Importing the same file again issues nothing twice: rows are matched by order code'
     ' and their place within the order.'):
        '再次导入同一文件不会重复签发：按订单号及其在订单中的位置匹配各行。',
    'Issue tickets in bulk': '批量签发门票',
    'How many': '数量',
    'Name (optional)': '姓名（可选）',
    'Sending the same order code again issues nothing twice.': '再次提交相同的订单号不会重复签发。',
    'Issue': '签发',
    'Uploading…': '正在上传…',
    'Issuing tickets…': '正在签发门票…',
    'The upload failed: try again.': '上传失败：请重试。',
    'Issued': '签发时间',
    'Wallet link': '钱包链接',
    'Transfer link': '转让链接',
    "Open it on the attendee's phone, or send it to them. It works once, until":
        '请在参会者的手机上打开，或发送给对方。仅可使用一次，有效期至',
    "The ticket's older links no longer work.": '该门票的旧链接已失效。',
    'New wallet link': '新的钱包链接',
    'What for': '用途',
    'Re-send to the attendee (works for 180 days)': '重新发送给参会者（180 天内有效）',
    'Transfer to someone else (works for 48 hours)': '转让给他人（48 小时内有效）',
    ("Making a new link makes the ticket's older links stop working; whoever claims it"
     ' next holds the ticket, and the phone that held it before is refused.'):
        ('生成新链接后，该门票的旧链接即失效；下一个领取者持有该门票，之前持有的手机将被拒'
         '绝。'),
    'Make a new link': '生成新链接',
    'Refund': '退款',
    'Reason (shown at the gate)': '原因（在闸口显示）',
    'Gates refuse the ticket from their next sync. This cannot be undone.':
        '闸口在下次同步后拒绝该门票。此操作无法撤销。',
    'Refund this ticket': '为此门票退款',
    'All tickets': '全部门票',
    'Printable sheet': '打印页',
    'search': '搜索',
    'at most': '最多',
    ('The sheet makes a new wallet link for each of these tickets: their older links stop'
     ' working. Print it, or hand each attendee their card.'):
        ('打印页会为这些门票各生成新的钱包链接：旧链接将失效。可打印，或把卡片分别交给参会'
         '者。'),
    'Make the links and show the sheet': '生成链接并显示打印页',
    'Back to the tickets': '返回门票列表',
    "Use your browser's Print command; each card is one ticket.":
        '请使用浏览器的打印功能；每张卡片是一张门票。',
    "Scan with your phone's camera to put the ticket in your wallet. Works once.":
        '用手机相机扫码，将门票放入钱包。仅可使用一次。',
    'Ticket refunded: gates refuse it from their next sync.':
        '门票已退款：闸口在下次同步后拒绝它。',
    'The ticket was already refunded.': '该门票此前已退款。',
    ('Makes a new wallet link for each ticket this search lists that no phone holds yet'
     ' (refunded and claimed ones left out): their older links stop working.'):
        ('为本次搜索列出的、尚未被任何手机领取的每张门票生成新的钱包链接'
         '（已退款和已领取的除外）：旧链接将失效。'),
    'tickets not claimed yet (refunded and claimed ones left out)':
        '张尚未领取的门票（不含已退款和已领取的）',
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
