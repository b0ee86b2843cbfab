<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>DemoSplash</name>
    <message>
        <location filename="../../../demo/launch.py" line="31"/>
        <source>GateScan demo: manager PIN {pin}</source>
        <translation>GateScan 演示：管理员 PIN {pin}</translation>
    </message>
    <message>
        <location filename="../../../demo/launch.py" line="33"/>
        <source>GateScan demo</source>
        <translation>GateScan 演示</translation>
    </message>
    <message>
        <location filename="../../../demo/launch.py" line="35"/>
        <source>Preparing a demo event, its tickets and a video of phones held up to the gate…</source>
        <translation>正在准备演示活动、门票以及手机在闸口出示二维码的视频…</translation>
    </message>
    <message>
        <location filename="../../../demo/launch.py" line="40"/>
        <source>Manager PIN: {pin}</source>
        <translation>管理员 PIN：{pin}</translation>
    </message>
</context>
<context>
    <name>Enrollment</name>
    <message>
        <location filename="../enrollment.py" line="37"/>
        <source>Not an enrollment code</source>
        <translation>不是设备注册码</translation>
    </message>
    <message>
        <location filename="../enrollment.py" line="30"/>
        <source>Enrollment code from a newer server: update this gate</source>
        <translation>注册码来自更新版本的服务器：请升级本闸机</translation>
    </message>
    <message>
        <location filename="../enrollment.py" line="32"/>
        <source>Enrollment code has no usable server address</source>
        <translation>注册码中没有可用的服务器地址</translation>
    </message>
    <message>
        <location filename="../enrollment.py" line="34"/>
        <source>Enrollment code is damaged</source>
        <translation>注册码已损坏</translation>
    </message>
    <message>
        <location filename="../enrollment.py" line="36"/>
        <source>Enrollment code&apos;s key fingerprints are damaged</source>
        <translation>注册码中的密钥指纹已损坏</translation>
    </message>
    <message>
        <location filename="../enrollment.py" line="69"/>
        <source>an unexpected error in this program (it is logged): restart the gate and try again</source>
        <translation>程序出现意外错误（已记入日志）：请重启闸机后重试</translation>
    </message>
</context>
<context>
    <name>GateApp</name>
    <message>
        <location filename="../app.py" line="454"/>
        <source>No camera found: check the cable</source>
        <translation>未找到摄像头：请检查连接线</translation>
    </message>
    <message>
        <location filename="../app.py" line="456"/>
        <source>The camera stopped sending pictures</source>
        <translation>摄像头已停止传送画面</translation>
    </message>
    <message>
        <location filename="../app.py" line="457"/>
        <source>Camera picture black: lens covered?</source>
        <translation>摄像头画面全黑：镜头被遮挡？</translation>
    </message>
    <message>
        <location filename="../app.py" line="261"/>
        <source>DEMO</source>
        <translation>演示</translation>
    </message>
    <message>
        <location filename="../app.py" line="344"/>
        <source>That code is not an enrollment code.</source>
        <translation>该二维码不是设备注册码。</translation>
    </message>
    <message>
        <location filename="../app.py" line="397"/>
        <source>Scans are NOT being recorded: {reason}</source>
        <translation>扫码记录失败：{reason}</translation>
    </message>
    <message>
        <location filename="../app.py" line="453"/>
        <source>Starting the camera…</source>
        <translation>正在启动摄像头…</translation>
    </message>
    <message>
        <location filename="../app.py" line="455"/>
        <source>Camera lost: plug it back in (retrying)</source>
        <translation>摄像头已断开：请重新插好（正在重试）</translation>
    </message>
    <message>
        <location filename="../app.py" line="458"/>
        <source>Camera failed: {detail}</source>
        <translation>摄像头故障：{detail}</translation>
    </message>
    <message>
        <location filename="../app.py" line="459"/>
        <source>The video has ended</source>
        <translation>视频已播放完毕</translation>
    </message>
    <message>
        <location filename="../app.py" line="496"/>
        <source>The ledger cannot be opened: {reason}</source>
        <translation>无法打开本地票据库：{reason}</translation>
    </message>
    <message>
        <location filename="../app.py" line="512"/>
        <source>Loaded {event}: {tickets} tickets</source>
        <translation>已载入 {event}：{tickets} 张票</translation>
    </message>
    <message>
        <location filename="../app.py" line="521"/>
        <source>Manifest refused: {reason}</source>
        <translation>票据清单被拒绝：{reason}</translation>
    </message>
    <message>
        <location filename="../app.py" line="526"/>
        <source>Exported {count} scans to {path}</source>
        <translation>已导出 {count} 条扫码记录到 {path}</translation>
    </message>
    <message>
        <location filename="../app.py" line="530"/>
        <source>Export failed: {reason}</source>
        <translation>导出失败：{reason}</translation>
    </message>
    <message>
        <location filename="../app.py" line="570"/>
        <source>This device was revoked by the server</source>
        <translation>本设备已被服务器停用</translation>
    </message>
    <message>
        <location filename="../app.py" line="581"/>
        <source>This gate was revoked by the organizer: it admits nobody. Ask a manager.</source>
        <translation>本闸机已被主办方吊销：不再放行任何人。请联系管理员。</translation>
    </message>
    <message>
        <location filename="../app.py" line="584"/>
        <source>The gate clock is not set: tickets cannot be checked against the time (amber CHECK). Connect to the server, or set the clock.</source>
        <translation>闸机时钟未设置：无法按时间核验门票（黄色“核查”）。请连接服务器，或设置时钟。</translation>
    </message>
    <message>
        <location filename="../app.py" line="587"/>
        <source>The event data from the network is signed by a key this gate was not enrolled with: it was refused. Ask a manager.</source>
        <translation>网络传来的活动数据由本闸机注册时未获信任的密钥签名：已拒绝。请联系主管。</translation>
    </message>
    <message>
        <location filename="../app.py" line="590"/>
        <source>The server has lost data (restored from an older backup?): this gate sent its scans again. Ask a manager.</source>
        <translation>服务器丢失了数据（是否从旧备份恢复？）：本闸机已重新上传其扫描记录。请联系主管。</translation>
    </message>
    <message>
        <location filename="../app.py" line="605"/>
        <source>Enrolled; {warning}</source>
        <translation>已注册；{warning}</translation>
    </message>
    <message>
        <location filename="../app.py" line="608"/>
        <source>Enrolled with the server</source>
        <translation>已在服务器注册</translation>
    </message>
    <message>
        <location filename="../app.py" line="614"/>
        <source>Enrollment failed: {reason}</source>
        <translation>注册失败：{reason}</translation>
    </message>
    <message>
        <location filename="../app.py" line="627"/>
        <source>Cannot save the settings: {reason}</source>
        <translation>无法保存设置：{reason}</translation>
    </message>
</context>
<context>
    <name>GateScreen</name>
    <message>
        <location filename="../gate_screen.py" line="220"/>
        <source>CAMERA NOT WORKING</source>
        <translation>摄像头无法使用</translation>
    </message>
    <message>
        <location filename="../gate_screen.py" line="222"/>
        <source>Use manual lookup (F2) or the handheld scanner</source>
        <translation>请使用手动查询 (F2) 或手持扫码枪</translation>
    </message>
    <message>
        <location filename="../gate_screen.py" line="90"/>
        <location filename="../gate_screen.py" line="224"/>
        <source>READY</source>
        <translation>请扫码</translation>
    </message>
    <message>
        <location filename="../gate_screen.py" line="94"/>
        <location filename="../gate_screen.py" line="226"/>
        <source>Hold the ticket code up to the camera</source>
        <translation>请将电子票二维码对准摄像头</translation>
    </message>
    <message>
        <location filename="../gate_screen.py" line="127"/>
        <source>Manual lookup (F2)</source>
        <translation>手动查询 (F2)</translation>
    </message>
    <message>
        <location filename="../gate_screen.py" line="131"/>
        <source>Manager (F10)</source>
        <translation>管理 (F10)</translation>
    </message>
    <message>
        <location filename="../gate_screen.py" line="166"/>
        <source>Last: {verdict} at {time}</source>
        <translation>上一位：{verdict}（{time}）</translation>
    </message>
    <message>
        <location filename="../gate_screen.py" line="196"/>
        <source>No event loaded</source>
        <translation>尚未载入活动</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../main_window.py" line="44"/>
        <source>GateScan</source>
        <translation>GateScan 闸机</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="109"/>
        <source>Manager PIN</source>
        <translation>管理员密码</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="116"/>
        <location filename="../main_window.py" line="211"/>
        <source>Manager PIN to close GateScan</source>
        <translation>输入管理员密码以关闭 GateScan</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="125"/>
        <source>Close GateScan?</source>
        <translation>关闭 GateScan？</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="126"/>
        <source>This gate stops scanning until GateScan is started again. Every scan so far is saved.</source>
        <translation>在重新启动 GateScan 之前，本闸机将停止扫码。已有的扫码记录都已保存。</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="131"/>
        <source>Close GateScan</source>
        <translation>关闭 GateScan</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="156"/>
        <source>Too many wrong PINs: wait {s} s</source>
        <translation>密码错误次数过多：请等待 {s} 秒</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="165"/>
        <source>Wrong PIN</source>
        <translation>密码错误</translation>
    </message>
    <message>
        <location filename="../../../demo/launch.py" line="92"/>
        <source>GateScan demo: manager PIN {pin}</source>
        <translation>GateScan 演示：管理员 PIN {pin}</translation>
    </message>
    <message>
        <location filename="../../../demo/launch.py" line="94"/>
        <source>DEMO · manager PIN {pin}</source>
        <translation>演示 · 管理员 PIN {pin}</translation>
    </message>
</context>
<context>
    <name>ManagerView</name>
    <message>
        <location filename="../manager_view.py" line="96"/>
        <source>Manager</source>
        <translation>管理</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="101"/>
        <source>Back to scanning</source>
        <translation>返回扫码</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="109"/>
        <location filename="../manager_view.py" line="126"/>
        <source>Scans</source>
        <translation>扫码次数</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="110"/>
        <location filename="../manager_view.py" line="118"/>
        <source>Admitted</source>
        <translation>已入场</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="111"/>
        <source>Refused or checked</source>
        <translation>拒绝或待核查</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="112"/>
        <source>Waiting to upload</source>
        <translation>待上传</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="113"/>
        <source>Conflicts</source>
        <translation>冲突</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="118"/>
        <source>Ticket type</source>
        <translation>票种</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="119"/>
        <source>Refused</source>
        <translation>已拒绝</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="120"/>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="120"/>
        <location filename="../manager_view.py" line="128"/>
        <source>Ticket</source>
        <translation>票号</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="121"/>
        <location filename="../manager_view.py" line="128"/>
        <source>Type</source>
        <translation>票种</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="121"/>
        <location filename="../manager_view.py" line="126"/>
        <source>Outcome</source>
        <translation>结果</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="122"/>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="128"/>
        <source>Here</source>
        <translation>本闸机</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="128"/>
        <source>Also admitted at</source>
        <translation>另一处入场</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="130"/>
        <source>Conflicts: admitted here and elsewhere while offline</source>
        <translation>冲突：离线期间在本闸机和其他闸机都已入场</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="133"/>
        <source>Gate</source>
        <translation>闸口</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="133"/>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="133"/>
        <source>Last contact</source>
        <translation>最近联系</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="133"/>
        <source>Behind</source>
        <translation>落后</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="141"/>
        <source>Mesh: gates nearby</source>
        <translation>闸口互联：附近的闸口</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="145"/>
        <source>Admissions per 5 minutes</source>
        <translation>每 5 分钟入场人数</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="146"/>
        <source>By ticket type</source>
        <translation>按票种</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="147"/>
        <source>Recent scans</source>
        <translation>最近扫码</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="148"/>
        <source>By outcome</source>
        <translation>按结果</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="156"/>
        <source>Export scans…</source>
        <translation>导出扫码记录…</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="158"/>
        <source>Force sync</source>
        <translation>立即同步</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="160"/>
        <source>Switch event…</source>
        <translation>切换活动…</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="162"/>
        <source>Gate set-up</source>
        <translation>闸机设置</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="164"/>
        <source>Exit app</source>
        <translation>退出程序</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="166"/>
        <source>Admit last refusal anyway…</source>
        <translation>仍然放行上一次拒绝…</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="168"/>
        <source>Undo last admission…</source>
        <translation>撤销上一次入场…</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="226"/>
        <source>No event loaded</source>
        <translation>尚未载入活动</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="242"/>
        <source>{gate} at {time}</source>
        <translation>{gate}，{time}</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="245"/>
        <source>(not synced yet)</source>
        <translation>（尚未同步）</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="251"/>
        <source>{seconds} s before</source>
        <translation>早 {seconds} 秒</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="251"/>
        <source>{seconds} s after</source>
        <translation>晚 {seconds} 秒</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="253"/>
        <source>{gate} at {time}, {when}</source>
        <translation>{gate}，{time}，{when}</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="262"/>
        <source>Mesh: {count} of {total} gates</source>
        <translation>互联：{count}/{total} 个闸口</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="265"/>
        <source>Mesh off</source>
        <translation>互联已关闭</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="270"/>
        <source>never</source>
        <translation>从未</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="272"/>
        <source>{seconds} s ago</source>
        <translation>{seconds} 秒前</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="273"/>
        <source>{count} scans</source>
        <translation>{count} 次扫描</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="277"/>
        <source>camera</source>
        <translation>摄像头</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="277"/>
        <source>handheld</source>
        <translation>扫码枪</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="278"/>
        <source>manual</source>
        <translation>手动</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="278"/>
        <source>command line</source>
        <translation>命令行</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="286"/>
        <source>No sync server: manifest loaded from a file</source>
        <translation>未连接同步服务器：票据清单来自文件</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="289"/>
        <source>online</source>
        <translation>在线</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="289"/>
        <source>offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="290"/>
        <source>Server {state}, last sync {time}</source>
        <translation>服务器{state}，上次同步 {time}</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="296"/>
        <source>Export scans</source>
        <translation>导出扫码记录</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="296"/>
        <source>CSV (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="303"/>
        <source>Load another event&apos;s manifest</source>
        <translation>载入其他活动的票据清单</translation>
    </message>
    <message>
        <location filename="../manager_view.py" line="304"/>
        <source>Manifests (*.gsm *.manifest);;All files (*)</source>
        <translation>票据清单 (*.gsm *.manifest);;所有文件 (*)</translation>
    </message>
</context>
<context>
    <name>ManualLookupPanel</name>
    <message>
        <location filename="../manual_lookup.py" line="59"/>
        <source>Manual lookup</source>
        <translation>手动查询</translation>
    </message>
    <message>
        <location filename="../manual_lookup.py" line="90"/>
        <location filename="../manual_lookup.py" line="147"/>
        <source>Find</source>
        <translation>查找</translation>
    </message>
    <message>
        <location filename="../manual_lookup.py" line="116"/>
        <source>Phone dead? Type the ticket number as the ticket page shows it (0123 4567 89ab cdef), the order code, or the name.</source>
        <translation>手机没电？请输入电子票页面上显示的票号（如 0123 4567 89ab cdef）、订单号或姓名。</translation>
    </message>
    <message>
        <location filename="../manual_lookup.py" line="119"/>
        <source>Phone dead? Type the ticket number as the ticket page shows it: 16 characters, like 0123 4567 89ab cdef. A valid ticket is admitted and recorded.</source>
        <translation>手机没电？请按电子票页面上的显示输入票号：16 位，如 0123 4567 89ab cdef。有效门票将直接放行并记录。</translation>
    </message>
    <message>
        <location filename="../manual_lookup.py" line="183"/>
        <source>The ticket list cannot be read: try again, or call a manager</source>
        <translation>无法读取门票名单：请重试，或联系主管</translation>
    </message>
    <message>
        <location filename="../manual_lookup.py" line="199"/>
        <source>More than {count} found: type more of the name</source>
        <translation>找到超过 {count} 张：请输入更完整的姓名</translation>
    </message>
    <message>
        <location filename="../manual_lookup.py" line="221"/>
        <source>Nothing found for “{text}”: check the spelling, or type the ticket number</source>
        <translation>未找到“{text}”：请检查拼写，或输入票号</translation>
    </message>
    <message>
        <location filename="../manual_lookup.py" line="223"/>
        <source>Not a ticket number: type the 16 characters the ticket page shows, like 0123 4567 89ab cdef</source>
        <translation>不是有效票号：请输入电子票页面上显示的 16 位字符，如 0123 4567 89ab cdef</translation>
    </message>
    <message>
        <location filename="../manual_lookup.py" line="225"/>
        <source>Ticket {ticket} is not on this gate&apos;s list: check the number, or sync and try again</source>
        <translation>票号 {ticket} 不在本闸机名单中：请核对票号，或同步后重试</translation>
    </message>
    <message>
        <location filename="../manual_lookup.py" line="229"/>
        <source>(no name)</source>
        <translation>（无姓名）</translation>
    </message>
    <message>
        <location filename="../manual_lookup.py" line="233"/>
        <source>order {code}</source>
        <translation>订单 {code}</translation>
    </message>
    <message>
        <location filename="../manual_lookup.py" line="237"/>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <location filename="../manual_lookup.py" line="243"/>
        <source>Check photo ID: {name}</source>
        <translation>请核对带照片的证件：{name}</translation>
    </message>
    <message>
        <location filename="../manual_lookup.py" line="201"/>
        <source>Check and admit</source>
        <translation>核验并放行</translation>
    </message>
    <message>
        <location filename="../manual_lookup.py" line="94"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
</context>
<context>
    <name>PinPanel</name>
    <message>
        <location filename="../pin_panel.py" line="58"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
</context>
<context>
    <name>ReasonDialog</name>
    <message>
        <location filename="../supervisor_dialog.py" line="37"/>
        <source>Reason (required, recorded with the scan):</source>
        <translation>原因（必填，随扫描记录保存）：</translation>
    </message>
    <message>
        <location filename="../supervisor_dialog.py" line="58"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
</context>
<context>
    <name>ScanChart</name>
    <message>
        <location filename="../chart.py" line="52"/>
        <source>Admitted</source>
        <translation>已入场</translation>
    </message>
    <message>
        <location filename="../chart.py" line="52"/>
        <source>Refused</source>
        <translation>已拒绝</translation>
    </message>
</context>
<context>
    <name>SetupScreen</name>
    <message>
        <location filename="../setup_screen.py" line="62"/>
        <source>Set up this gate</source>
        <translation>设置本闸机</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="81"/>
        <source>Start scanning</source>
        <translation>开始扫码</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="112"/>
        <source>1. Event</source>
        <translation>1. 活动</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="116"/>
        <source>Import manifest file (USB stick)…</source>
        <translation>从 U 盘导入票据清单…</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="122"/>
        <source>…or paste the enrollment code, or show its QR code to the camera</source>
        <translation>…或粘贴注册码，或将注册二维码对准摄像头</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="123"/>
        <location filename="../setup_screen.py" line="233"/>
        <source>Enroll</source>
        <translation>注册</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="128"/>
        <source>This build has no sync engine: import a manifest file instead.</source>
        <translation>此版本没有同步模块：请改为导入票据清单文件。</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="139"/>
        <source>2. Gate</source>
        <translation>2. 闸口</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="142"/>
        <source>Entry</source>
        <translation>入场</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="143"/>
        <source>Exit</source>
        <translation>出场</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="156"/>
        <source>3. Manager PIN and language</source>
        <translation>3. 管理员密码与语言</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="164"/>
        <source>(leave empty to keep the current PIN)</source>
        <translation>（留空则保留当前密码）</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="165"/>
        <source>New PIN, {n}+ digits {keep}</source>
        <translation>新密码，至少 {n} 位数字 {keep}</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="167"/>
        <source>Repeat the PIN</source>
        <translation>再次输入密码</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="176"/>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="182"/>
        <source>4. Camera</source>
        <translation>4. 摄像头</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="190"/>
        <source>Check the picture: a phone held at the gate should fill the middle of the frame.</source>
        <translation>请检查画面：在闸口举起的手机应位于画面中央。</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="204"/>
        <source>No event loaded yet.</source>
        <translation>尚未载入活动。</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="206"/>
        <source>Issuer key to expect: {fingerprint}</source>
        <translation>应有的签发密钥：{fingerprint}</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="210"/>
        <source>{event}: {tickets} tickets</source>
        <translation>{event}：{tickets} 张票</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="233"/>
        <source>Enrolling…</source>
        <translation>正在注册…</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="253"/>
        <source>Event manifest</source>
        <translation>活动票据清单</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="254"/>
        <source>Manifests (*.gsm *.manifest);;All files (*)</source>
        <translation>票据清单 (*.gsm *.manifest);;所有文件 (*)</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="278"/>
        <source>Load the event first: import a manifest or enroll.</source>
        <translation>请先载入活动：导入票据清单或注册设备。</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="282"/>
        <source>Choose this gate.</source>
        <translation>请选择本闸口。</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="287"/>
        <source>The manager PIN needs at least {n} digits.</source>
        <translation>管理员密码至少需要 {n} 位数字。</translation>
    </message>
    <message>
        <location filename="../setup_screen.py" line="291"/>
        <source>The two PINs differ.</source>
        <translation>两次输入的密码不一致。</translation>
    </message>
</context>
<context>
    <name>StatusStrip</name>
    <message>
        <location filename="../status_strip.py" line="185"/>
        <source>No camera</source>
        <translation>无摄像头</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="187"/>
        <source>Camera frozen</source>
        <translation>摄像头画面卡住</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="188"/>
        <source>Camera picture black</source>
        <translation>摄像头画面全黑</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="103"/>
        <source>Exit</source>
        <translation>出场</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="103"/>
        <source>Entry</source>
        <translation>入场</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="120"/>
        <source>No server: manifest file</source>
        <translation>无服务器：使用清单文件</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="121"/>
        <source>Sync off</source>
        <translation>同步关闭</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="122"/>
        <location filename="../status_strip.py" line="141"/>
        <source>Clock not synced</source>
        <translation>时钟未同步</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="125"/>
        <source>Not enrolled: manifest file</source>
        <translation>未注册：使用清单文件</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="127"/>
        <source>Device revoked</source>
        <translation>设备已停用</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="129"/>
        <source>Online</source>
        <translation>在线</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="131"/>
        <source>Offline since {time}</source>
        <translation>自 {time} 起离线</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="134"/>
        <source>Offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="136"/>
        <source>Never synced</source>
        <translation>从未同步</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="139"/>
        <source>Synced {time}</source>
        <translation>已同步 {time}</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="140"/>
        <source>Clock OK</source>
        <translation>时钟正常</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="142"/>
        <source>Clock NOT SET</source>
        <translation>时钟未设置</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="153"/>
        <source>Mesh off</source>
        <translation>互联已关闭</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="155"/>
        <source>Mesh: {count} of {total} gates</source>
        <translation>互联：{count}/{total} 个闸口</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="158"/>
        <source>{count} conflicts</source>
        <translation>{count} 个冲突</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="164"/>
        <source>Admitted {count}</source>
        <translation>已入场 {count}</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="165"/>
        <source>{count} to upload</source>
        <translation>待上传 {count}</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="200"/>
        <source>Camera {fps} fps</source>
        <translation>摄像头 {fps} 帧/秒</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="202"/>
        <source>Camera starting</source>
        <translation>摄像头启动中</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="186"/>
        <location filename="../status_strip.py" line="204"/>
        <source>Camera lost: retrying</source>
        <translation>摄像头断开：重试中</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="189"/>
        <location filename="../status_strip.py" line="206"/>
        <source>Video ended</source>
        <translation>视频已结束</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="190"/>
        <location filename="../status_strip.py" line="208"/>
        <source>Camera failed</source>
        <translation>摄像头故障</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="210"/>
        <source>Camera off</source>
        <translation>摄像头关闭</translation>
    </message>
</context>
<context>
    <name>SupervisorActions</name>
    <message>
        <location filename="../supervisor.py" line="101"/>
        <location filename="../supervisor.py" line="147"/>
        <source>No refused scan to admit: the latest scan was not refused</source>
        <translation>没有可放行的拒绝：最近一次扫描未被拒绝</translation>
    </message>
    <message>
        <location filename="../supervisor.py" line="104"/>
        <source>Manager PIN to admit anyway</source>
        <translation>输入经理 PIN 以仍然放行</translation>
    </message>
    <message>
        <location filename="../supervisor.py" line="125"/>
        <source>Admission undone: ticket {ticket} can enter again</source>
        <translation>入场已撤销：门票 {ticket} 可以再次入场</translation>
    </message>
    <message>
        <location filename="../supervisor.py" line="133"/>
        <source>There is no admission to undo</source>
        <translation>没有可撤销的入场</translation>
    </message>
    <message>
        <location filename="../supervisor.py" line="134"/>
        <source>That admission was already undone</source>
        <translation>该入场已被撤销</translation>
    </message>
    <message>
        <location filename="../supervisor.py" line="135"/>
        <source>Too late: only recent scans can be changed</source>
        <translation>太晚了：只能更改最近的扫描</translation>
    </message>
    <message>
        <location filename="../supervisor.py" line="136"/>
        <source>Another scan came after it: it cannot be changed now</source>
        <translation>之后已有新的扫描：现在无法更改</translation>
    </message>
    <message>
        <location filename="../supervisor.py" line="137"/>
        <source>That scan was not refused</source>
        <translation>该扫描未被拒绝</translation>
    </message>
    <message>
        <location filename="../supervisor.py" line="138"/>
        <source>A reason is required</source>
        <translation>必须填写原因</translation>
    </message>
    <message>
        <location filename="../supervisor.py" line="150"/>
        <location filename="../supervisor.py" line="151"/>
        <source>Admit anyway</source>
        <translation>仍然放行</translation>
    </message>
    <message>
        <location filename="../supervisor.py" line="151"/>
        <source>Checked with the box office</source>
        <translation>已与票务处核实</translation>
    </message>
    <message>
        <location filename="../supervisor.py" line="152"/>
        <source>Organizer decision</source>
        <translation>主办方决定</translation>
    </message>
    <message>
        <location filename="../supervisor.py" line="161"/>
        <source>The latest admission here</source>
        <translation>本闸机最近一次入场</translation>
    </message>
    <message>
        <location filename="../supervisor.py" line="162"/>
        <source>Undo last admission</source>
        <translation>撤销上一次入场</translation>
    </message>
    <message>
        <location filename="../supervisor.py" line="163"/>
        <source>Undo admission</source>
        <translation>撤销入场</translation>
    </message>
    <message>
        <location filename="../supervisor.py" line="163"/>
        <source>Did not go through</source>
        <translation>未通过闸机</translation>
    </message>
    <message>
        <location filename="../supervisor.py" line="164"/>
        <source>Turned back</source>
        <translation>已折返</translation>
    </message>
    <message>
        <location filename="../supervisor.py" line="172"/>
        <source>unreadable code</source>
        <translation>无法识别的码</translation>
    </message>
    <message>
        <location filename="../supervisor.py" line="183"/>
        <source>Turnstile relay failed: {reason}</source>
        <translation>闸机继电器故障：{reason}</translation>
    </message>
</context>
<context>
    <name>Verdict</name>
    <message>
        <location filename="../reasons.py" line="26"/>
        <source>Ticket valid</source>
        <translation>票有效</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="27"/>
        <source>Exit recorded</source>
        <translation>已记录出场</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="29"/>
        <source>Already used</source>
        <translation>已使用</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="30"/>
        <source>No re-entry</source>
        <translation>不可再次入场</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="31"/>
        <source>Screenshot or old code</source>
        <translation>截图或过期二维码</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="32"/>
        <source>Code from the future</source>
        <translation>二维码时间超前</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="33"/>
        <source>Forged or altered code</source>
        <translation>伪造或篡改的二维码</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="34"/>
        <source>Unknown issuer key</source>
        <translation>未知的签发密钥</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="35"/>
        <source>Different event</source>
        <translation>其他活动的票</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="36"/>
        <source>Not on this gate&apos;s list</source>
        <translation>不在本闸机名单中</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="37"/>
        <location filename="../sentences.py" line="118"/>
        <source>Ticket cancelled</source>
        <translation>票已作废</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="38"/>
        <source>Old ticket: transferred</source>
        <translation>旧票：已转让</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="39"/>
        <source>Not valid yet</source>
        <translation>尚未生效</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="40"/>
        <source>Ticket expired</source>
        <translation>票已过期</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="41"/>
        <source>Outside time slot</source>
        <translation>不在入场时段内</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="42"/>
        <source>Wrong entrance</source>
        <translation>入口错误</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="43"/>
        <source>Gate clock not set</source>
        <translation>闸机时钟未设置</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="46"/>
        <source>Ask for the full code</source>
        <translation>请出示完整码</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="147"/>
        <source>Short code this gate cannot check yet: ask for the full code (&apos;Full code&apos; in the wallet)</source>
        <translation>此闸机暂时无法核验短码：请对方出示完整码（在票夹中点“完整码”）</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="44"/>
        <source>Not a ticket code</source>
        <translation>不是门票二维码</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="45"/>
        <source>Admitted by a supervisor</source>
        <translation>主管已放行</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="46"/>
        <source>Admission undone</source>
        <translation>入场已撤销</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="23"/>
        <source>{n} s</source>
        <translation>{n} 秒</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="25"/>
        <source>{n} min</source>
        <translation>{n} 分钟</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="26"/>
        <source>{n} h</source>
        <translation>{n} 小时</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="56"/>
        <source>All {n} already admitted (last here at {time})</source>
        <translation>{n} 人均已入场（最后一位于 {time} 在本入口）</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="59"/>
        <source>All {n} already admitted (last at {gate} at {time})</source>
        <translation>{n} 人均已入场（最后一位于 {time} 在 {gate}）</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="69"/>
        <source>Welcome back: re-entry ({type})</source>
        <translation>欢迎回来：再次入场（{type}）</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="71"/>
        <source>{type}: person {n} of {total}</source>
        <translation>{type}：第 {n} 人，共 {total} 人</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="76"/>
        <source>Manual: {admitted}</source>
        <translation>凭票号入场（未出示手机）：{admitted}</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="83"/>
        <source>Ticket number not on this gate&apos;s list: check it, or sync and try again</source>
        <translation>票号不在本闸机名单中：请核对票号，或同步后重试</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="87"/>
        <source>Unknown ticket type {type_id} (sync needed?)</source>
        <translation>未知票种 {type_id}（需要同步？）</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="89"/>
        <source>Ticket not on this gate&apos;s list: sync, then try again</source>
        <translation>不在本闸机名单中：请同步后重试</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="96"/>
        <source>Not valid yet: valid from {time}</source>
        <translation>此票尚未生效：自 {time} 起有效</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="99"/>
        <source>Ticket expired {time}</source>
        <translation>此票已于 {time} 过期</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="104"/>
        <source>Outside time slot {start}–{end} (starts {start})</source>
        <translation>不在此票的入场时段 {start}–{end} 内（{start} 开始）</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="106"/>
        <source>Outside time slot {start}–{end} (ended {end})</source>
        <translation>不在此票的入场时段 {start}–{end} 内（已于 {end} 结束）</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="116"/>
        <source>Ticket cancelled ({why})</source>
        <translation>此票已作废（{why}）</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="120"/>
        <source>Wrong entrance: go to {gates} ({type})</source>
        <translation>入口错误：请前往 {gates}（{type}）</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="123"/>
        <source>Wrong entrance: no gate of this event admits {type}</source>
        <translation>入口错误：本活动没有可接受 {type} 的入口</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="126"/>
        <source>Not a valid ticket code: {problem}</source>
        <translation>不是有效的门票二维码：{problem}</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="129"/>
        <source>Forged or altered code (phone signature)</source>
        <translation>该二维码被伪造或篡改（手机签名）</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="131"/>
        <source>Gate clock not confirmed: sync with the server or scan the phone&apos;s code</source>
        <translation>闸机时钟未经确认：请与服务器同步或扫描手机二维码</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="134"/>
        <source>Exit recorded ({type})</source>
        <translation>已记录出场（{type}）</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="136"/>
        <source>Not a valid ticket code</source>
        <translation>不是有效的门票二维码</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="137"/>
        <source>Forged or altered ticket (issuer signature)</source>
        <translation>该门票被伪造或篡改（签发签名）</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="139"/>
        <source>Gate clock is not set: sync with the server or set the time</source>
        <translation>闸机时钟未设置：请与服务器同步或设置时间</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="141"/>
        <source>Ticket is for a different event</source>
        <translation>这是其他活动的票</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="142"/>
        <source>Ticket signed by an issuer key this gate does not trust (sync needed?)</source>
        <translation>签发密钥不受本闸机信任（需要同步？）</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="144"/>
        <source>Code is from the future: check the phone&apos;s clock or this gate&apos;s clock</source>
        <translation>二维码时间超前：请检查手机或本闸机的时钟</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="146"/>
        <source>Old ticket: it was transferred to someone else</source>
        <translation>旧票：此票已转让给他人</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="163"/>
        <source>Screenshot or old code: it expired {age} ago</source>
        <translation>截图或过期二维码：已过期 {age}</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="65"/>
        <source>ADMIT</source>
        <translation>通过</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="66"/>
        <source>REFUSED</source>
        <translation>拒绝</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="67"/>
        <source>CHECK</source>
        <translation>核查</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="68"/>
        <source>ALREADY ADMITTED HERE</source>
        <translation>已在此放行</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="69"/>
        <source>NOT RECORDED</source>
        <translation>未记录</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="78"/>
        <source>{n} s ago</source>
        <translation>{n} 秒前</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="79"/>
        <source>{n} min ago</source>
        <translation>{n} 分钟前</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="32"/>
        <source>{names} or {last}</source>
        <translation>{names} 或 {last}</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="85"/>
        <source>ALREADY SCANNED OUT HERE</source>
        <translation>已在此出场</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="63"/>
        <source>Already used at {gate} at {time}</source>
        <translation>已于 {time} 在 {gate} 使用</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="106"/>
        <source>zone {zone}</source>
        <translation>区域 {zone}</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="108"/>
        <source>not on this gate&apos;s list</source>
        <translation>不在本闸机名单中</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="122"/>
        <source>EXIT OK</source>
        <translation>出场</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="62"/>
        <source>Already used here at {time}</source>
        <translation>已于 {time} 在本入口使用</translation>
    </message>
    <message>
        <location filename="../sentences.py" line="53"/>
        <source>No re-entry: left at {gate} at {time}</source>
        <translation>不可再次入场：已于 {time} 从 {gate} 离场</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="146"/>
        <source>The disk is full: scans cannot be recorded</source>
        <translation>磁盘已满：无法记录扫码</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="147"/>
        <source>The ledger is busy: try again</source>
        <translation>票据库忙：请重试</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="148"/>
        <source>The ledger cannot be written</source>
        <translation>票据库无法写入</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="149"/>
        <source>Disk error while recording</source>
        <translation>记录时磁盘出错</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="150"/>
        <source>The ledger file is damaged</source>
        <translation>票据库文件已损坏</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="151"/>
        <source>The ledger file was deleted or replaced: restart the app, nothing is being recorded</source>
        <translation>票据库文件已被删除或替换：请重启应用，目前没有任何记录</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="153"/>
        <source>The ledger file is damaged: run gatescan recover (see the operations guide)</source>
        <translation>票据库文件已损坏：请运行 gatescan recover（见运维指南）</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="155"/>
        <source>No event loaded: import a manifest first</source>
        <translation>尚未载入活动：请先导入票据清单</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="158"/>
        <source>Do not admit: call a manager</source>
        <translation>请勿放行：请联系管理员</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="90"/>
        <location filename="../reasons.py" line="137"/>
        <source>Ticket {ticket}</source>
        <translation>票号 {ticket}</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="28"/>
        <source>Already admitted here</source>
        <translation>已在此放行</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="51"/>
        <source>Admitted a moment ago: not counted again</source>
        <translation>刚刚已放行：不重复计数</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="165"/>
        <source>Not a ticket number</source>
        <translation>不是有效票号</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="166"/>
        <source>Type the 16-character ticket number</source>
        <translation>请输入 16 位票号</translation>
    </message>
</context>
<context>
    <name>VerdictView</name>
    <message>
        <location filename="../verdict_view.py" line="174"/>
        <source>Manual lookup</source>
        <translation>手动查询</translation>
    </message>
    <message>
        <location filename="../verdict_view.py" line="175"/>
        <source>Handheld scanner</source>
        <translation>手持扫码枪</translation>
    </message>
</context>
</TS>
