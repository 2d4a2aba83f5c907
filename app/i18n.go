package app

// NoticeVersion is the version of the notice-and-commitment text below; it is stored with each application.
const NoticeVersion = "notice-2023-1/v1"

// messages holds every text of the GUI: id → {Chinese, English}. A test walks every screen in English and
// fails when Chinese text remains outside applicant and reference data.
var messages = map[string][2]string{
	// Navigation and keys
	"nav.back":      {"← 返回上一步", "← Back"},
	"nav.home":      {"回首页", "Home"},
	"nav.lang":      {"English", "中文"},
	"nav.next":      {"下一步 →", "Next →"},
	"key.backspace": {"⌫ 删除", "⌫ Delete"},
	"key.clear":     {"清空", "Clear"},
	"or":            {"　或　", " or "},
	"list.sep":      {"；", "; "},
	"progress":      {"第 %d / %d 步 · %s", "Step %d of %d · %s"},

	// Steps (progress bar)
	"step.card":      {"读取身份证", "ID card"},
	"step.notice":    {"告知承诺", "Notice"},
	"step.route":     {"申请途径", "Route"},
	"step.condition": {"申请条件", "Condition"},
	"step.form":      {"填写信息", "Details"},
	"step.materials": {"上传材料", "Documents"},
	"step.confirm":   {"确认提交", "Confirm"},
	"step.submit":    {"提交回执", "Receipt"},

	// Home
	"home.title":    {"居住证互认转换", "Residence permit mutual recognition"},
	"home.subtitle": {"浙江省居住证互认转换 · 缙云县自助服务", "Zhejiang residence permit recognition · Jinyun County self-service"},
	"home.start":    {"开始办理　居住证互认转换", "Start an application"},
	"home.query":    {"查询办理进度", "Check the progress of an application"},
	"home.large":    {"大字模式", "Larger text"},
	"home.normal":   {"标准字号", "Normal text"},
	"home.footer":   {"终端编号 %03d　服务热线 %s", "Kiosk %03d · Hotline %s"},
	"home.demo":     {"演示模式：回执以PDF文件保存在 %s", "Demo mode: receipts are saved as PDF files in %s"},
	"home.confirm":  {"确定结束本次办理吗？", "End this application?"},
	"home.confirm.detail": {"已读取和填写的信息将全部清除。",
		"Everything read from your card and filled in will be deleted."},
	"home.stay":  {"继续办理", "Continue"},
	"home.leave": {"结束并回首页", "End and go home"},

	// Idle
	"idle.title": {"还需要更多时间吗？", "Do you need more time?"},
	"idle.left":  {"%d 秒后将清除本次信息并返回首页。", "In %d seconds your information will be deleted and the kiosk returns home."},
	"idle.more":  {"需要，继续办理", "Yes, continue"},
	"idle.leave": {"不需要，结束", "No, end now"},

	// Card
	"card.title":   {"请读取身份证", "Read your ID card"},
	"card.place":   {"请将身份证放在读卡区", "Place your ID card on the reader"},
	"card.privacy": {"只读取证件上的文字信息，不读取指纹，不保存照片。", "Only the text on the card is read: no fingerprints, no photo is kept."},
	"card.waiting": {"正在等待身份证……", "Waiting for the card…"},
	"card.retry":   {"重新读卡", "Read again"},

	// Notice
	"notice.title":  {"告知与承诺", "Notice and commitment"},
	"notice.hint":   {"请阅读以下内容并滑动到最后，然后勾选承诺。", "Please read to the end, then tick the commitment."},
	"notice.more":   {"向下翻页 ↓", "Scroll down ↓"},
	"notice.accept": {"我已阅读并承诺", "I have read this and I commit to it"},
	"notice.body": {`一、办理事项
本服务为《浙江省居住证》互认转换。符合条件的申请人可申请将本人在省内其他地区的居住证件或居住登记时间互认为缙云县居住证，审核通过后签发电子居住证。

二、申请条件
（一）持有省内其他地区签发的有效《浙江省居住证》；或（二）在省内居住登记累计满六个月。
同时须符合以下条件之一：在缙云县有合法稳定住所、合法稳定就业或连续就读。

三、办理流程
告知承诺 → 在线填表 → 上传材料 → 确认提交。提交后打印回执，请妥善保管回执编号。

四、办理时限
自受理之日起2个工作日内完成审核；审核通过后，电子居住证信息推送至省大数据平台，并免费发送短信通知。

五、不予办理
不符合条件的，将一次性告知全部理由及需补充的材料。

六、个人信息保护
本机仅读取身份证上的文字信息，不读取指纹，不保存照片；您的信息仅用于本次办理，离开时自动清除。

七、申请人承诺
本人承诺所填写的信息和提交的材料真实、准确、完整、有效，如有虚假，愿意承担相应的法律责任，并同意有关部门依法核查。`,
		`1. The service
This is the mutual recognition of the Zhejiang residence permit. Eligible applicants may have a residence permit or the residence registration time from elsewhere in the province recognised as a Jinyun County residence permit; an electronic permit is issued after review.

2. Who may apply
(a) Holders of a valid Zhejiang residence permit issued elsewhere in the province; or (b) people with six months or more of residence registration in the province.
They must also meet one of these conditions in Jinyun: legal stable residence, legal stable employment, or continuous schooling.

3. Steps
Notice and commitment → form → documents → confirm and submit. A receipt is printed; please keep its number.

4. Time limit
Review within 2 working days of acceptance. After approval the e-permit is pushed to the provincial platform and a free SMS is sent.

5. Refusal
If the application does not qualify, you are told every reason and what to bring at once.

6. Personal data
Only the text of the ID card is read: no fingerprints, no photo is kept. Your data is used only for this application and is deleted from the screen when you leave.

7. Commitment
I commit that the information and documents I provide are true, accurate, complete and valid. I accept legal responsibility for anything false and agree to checks by the authorities.`},

	// Route
	"route.title":               {"选择申请途径", "Choose how you qualify"},
	"route.ask":                 {"请选择符合您情况的一项：", "Choose the one that fits you:"},
	"route.permit":              {"持有浙江省居住证", "I hold a Zhejiang residence permit"},
	"route.permit.detail":       {"持有省内其他地区签发的有效居住证。", "A valid permit issued elsewhere in Zhejiang."},
	"route.registration":        {"省内居住登记满六个月", "Six months of residence registration in Zhejiang"},
	"route.registration.detail": {"在省内居住登记累计满六个月。", "Registered as resident in Zhejiang for six months or more."},
	"precheck.offline":          {"网络暂不可用，审核时将核实您的居住登记记录。", "The network is not available; your record will be checked during review."},
	"precheck.waiting":          {"正在查询您的省内居住登记记录……", "Looking up your provincial registration record…"},
	"precheck.unknown":          {"暂未查询到您的记录，审核时将人工核实。", "No record was found yet; it will be checked during review."},
	"precheck.permit":           {"查询结果：持有居住证（签发地 %s），居住登记 %d 个月。", "Record found: residence permit (issued in %s), %d months of registration."},
	"precheck.registration":     {"查询结果：未持有居住证，居住登记 %d 个月。", "Record found: no residence permit, %d months of registration."},

	// Condition
	"condition.title":      {"选择申请条件", "Choose your condition"},
	"condition.ask":        {"请选择您符合的一项条件：", "Choose the condition you meet:"},
	"condition.residence":  {"合法稳定住所", "Legal stable residence"},
	"condition.employment": {"合法稳定就业", "Legal stable employment"},
	"condition.schooling":  {"连续就读", "Continuous schooling"},
	"condition.needs":      {"需要材料：", "Documents: "},

	// Form
	"form.mobile":         {"手机号码", "Mobile number"},
	"form.mobile.ask":     {"请输入您的手机号码，用于接收办理结果短信：", "Enter your mobile number for the result SMS:"},
	"form.mobile.left":    {"还需输入 %d 位", "%d more digits"},
	"form.ok":             {"✓ 格式正确", "✓ Looks right"},
	"form.town":           {"居住地址：镇（街道）", "Address: town or subdistrict"},
	"form.town.ask":       {"请选择您在缙云县居住的镇（街道）：", "Choose your town or subdistrict in Jinyun:"},
	"form.community":      {"居住地址：社区（村）", "Address: community or village"},
	"form.community.ask":  {"请选择社区（村）：", "Choose your community or village:"},
	"form.detail":         {"居住地址：门牌号", "Address: building and room"},
	"form.detail.ask":     {"请输入门牌、楼幢和房间号：", "Enter the house number, building and room:"},
	"form.detail.hint":    {"例如：12号3幢2单元501室", "For example: 12号3幢2单元501室 (No. 12, building 3, unit 2, room 501)"},
	"form.detail.example": {"✓ 可以继续，或继续补充", "✓ You may go on, or add more"},
	"form.employer":       {"工作单位", "Employer"},
	"form.employer.ask":   {"请输入工作单位营业执照上的18位统一社会信用代码：", "Enter the employer's 18-character unified social credit code (on its business licence):"},
	"form.uscc.left":      {"还需输入 %d 位", "%d more characters"},
	"form.school":         {"就读学校", "School"},
	"form.school.ask":     {"请选择您就读的学校：", "Choose your school:"},

	// Materials
	"materials.title":   {"上传材料", "Documents"},
	"materials.choose":  {"您准备提交哪一类材料？", "Which documents will you provide?"},
	"materials.place":   {"请将《%s》放在拍摄区，文字朝上。", "Place the %s on the camera area, text up."},
	"materials.item":    {"第 %d 项 / 共 %d 项", "Item %d of %d"},
	"materials.capture": {"📷 拍摄", "📷 Take photo"},
	"materials.addpage": {"📷 再拍一页", "📷 Add a page"},
	"materials.delete":  {"删除最后一页", "Delete last page"},
	"materials.none":    {"尚未拍摄", "No page yet"},
	"materials.pages":   {"已拍摄 %d 页", "%d page(s) taken"},
	"materials.busy":    {"正在拍摄，请保持材料不动……", "Taking the photo, please hold still…"},
	"materials.ok":      {"✓ 拍摄清晰", "✓ The photo is clear"},
	"materials.warning": {"⚠ 照片可能不清楚：", "⚠ The photo may not be readable:"},
	"materials.retake":  {"重新拍摄", "Take again"},
	"materials.keep":    {"仍然使用", "Use it anyway"},
	"materials.kept":    {"已保留该页", "Page kept"},
	"materials.count":   {"%s（%d页）", "%s (%d p.)"},

	// Confirm
	"confirm.title":     {"确认并提交", "Confirm and submit"},
	"confirm.ask":       {"请核对以下信息，需要修改请点“修改”。", "Please check. Tap “Change” to correct anything."},
	"confirm.edit":      {"修改", "Change"},
	"confirm.applicant": {"申请人", "Applicant"},
	"confirm.route":     {"申请途径", "Route"},
	"confirm.condition": {"申请条件", "Condition"},
	"confirm.mobile":    {"手机号码", "Mobile"},
	"confirm.address":   {"居住地址", "Address"},
	"confirm.employer":  {"统一社会信用代码", "Employer's credit code"},
	"confirm.school":    {"就读学校", "School"},
	"confirm.materials": {"已上传材料", "Documents"},
	"confirm.submit":    {"确认提交", "Submit"},

	// Submit
	"submit.title":   {"提交申请", "Submitting"},
	"submit.busy":    {"正在提交，请稍候……", "Submitting, please wait…"},
	"submit.printed": {"✓ 申请已提交，请取走回执。", "✓ Submitted. Please take your receipt."},
	"submit.noprint": {"✓ 申请已提交，但回执未能打印，已通知工作人员。", "✓ Submitted, but the receipt could not be printed. Staff have been told."},
	"submit.photo":   {"请拍下本页或扫描二维码保存回执编号。", "Please photograph this screen or scan the QR code to keep your receipt number."},
	"submit.receipt": {"回执编号：%s\n预计办结：%s 前（2个工作日内）", "Receipt number: %s\nExpected by: %s (2 working days)"},
	"submit.failed":  {"申请未能提交，请联系工作人员。", "The application could not be submitted. Please ask a member of staff."},
	"submit.done":    {"完成", "Done"},

	// Not eligible
	"noteligible.title":   {"暂不符合办理条件", "Not eligible yet"},
	"noteligible.intro":   {"您的申请有以下问题（一次性告知）：", "Your application has these problems (all of them):"},
	"noteligible.remedy":  {"办理建议：", "What to do: "},
	"noteligible.print":   {"打印告知书", "Print this notice"},
	"noteligible.fix":     {"修改申请", "Change my answers"},
	"noteligible.printed": {"✓ 告知书已打印，请取走。", "✓ Printed. Please take the notice."},
	"print.busy":          {"正在打印……", "Printing…"},
	"print.failed":        {"打印失败：", "Printing failed: "},

	// Status check
	"status.title":     {"查询办理进度", "Check progress"},
	"status.ask":       {"请将回执上的二维码对准扫描口，或输入回执编号：", "Scan the QR code on your receipt, or key in the receipt number:"},
	"status.query":     {"查询", "Check"},
	"status.busy":      {"正在查询……", "Checking…"},
	"status.badscan":   {"无法识别该二维码，请扫描本服务的回执二维码。", "This code was not recognised. Please scan the QR code of a receipt."},
	"status.badnumber": {"回执编号格式不正确。", "That receipt number is not valid."},
	"status.needqr":    {"未找到该回执，请扫描回执上的二维码查询。", "Receipt not found here. Please scan the QR code on the receipt."},
	"status.offline":   {"网络暂时不可用，无法查询。请稍后再试，或咨询工作人员。", "The network is not available, so the status cannot be checked. Please try later or ask staff."},
	"status.notfound":  {"未查询到该申请。", "No application was found."},
	"status.state":     {"办理状态：%s", "Status: %s"},
	"status.due":       {"预计办结：%s 前", "Expected by: %s"},
	"status.permit":    {"电子居住证编号：%s", "E-permit number: %s"},
	"status.reason":    {"%d. %s 办理建议：%s", "%d. %s What to do: %s"},

	// States
	"state.queued":             {"待上传", "Waiting to upload"},
	"state.dead":               {"上传失败，待处理", "Upload failed, staff will help"},
	"state.received":           {"已接收", "Received"},
	"state.awaiting_materials": {"待补充材料", "Documents needed"},
	"state.accepted":           {"已受理", "Accepted"},
	"state.in_review":          {"审核中", "In review"},
	"state.approved":           {"已办结（通过）", "Approved"},
	"state.rejected":           {"不予办理", "Refused"},

	// Service unavailable
	"unavailable.title": {"暂停受理", "Service unavailable"},
	"unavailable.body":  {"本机暂时不能受理新的申请。", "This kiosk cannot take new applications at the moment."},
	"unavailable.where": {"请到人工窗口办理，或稍后再试。查询办理进度不受影响。", "Please go to a staffed counter or try later. Checking progress still works."},

	// Admin
	"admin.pin.title":     {"管理模式", "Admin mode"},
	"admin.pin.ask":       {"请输入工作人员密码：", "Enter the staff PIN:"},
	"admin.pin.ok":        {"确定", "OK"},
	"admin.pin.checking":  {"正在验证……", "Checking…"},
	"admin.pin.wrong":     {"密码错误，还可尝试 %d 次。", "Wrong PIN; %d tries left."},
	"admin.pin.locked":    {"错误次数过多，已锁定至 %s。", "Too many wrong PINs; locked until %s."},
	"admin.cancel":        {"取消", "Cancel"},
	"admin.title":         {"终端管理", "Kiosk admin"},
	"admin.loading":       {"正在读取……", "Loading…"},
	"admin.error":         {"读取失败：", "Could not load:"},
	"admin.counts":        {"待上传 %d　上传失败 %d　已送达 %d　已办结 %d　最早未上传 %s", "Queued %d · Dead %d · Delivered %d · Decided %d · Oldest unsent %s"},
	"admin.lastsync":      {"最近同步：%s", "Last sync: %s"},
	"admin.ok":            {"正常", "OK"},
	"admin.paperlow":      {"纸张将尽", "Paper low"},
	"admin.notaccepting":  {"暂停受理：", "Not taking applications:"},
	"admin.calendar":      {"节假日日历未覆盖 %d 年：到期日暂按周末计算，待审核服务下发新日历", "The holiday calendar does not cover %d: due dates count weekends only until the review service sends the new calendar"},
	"admin.lastprintfail": {"最近一次打印失败：", "Last print failure:"},
	"admin.items":         {"申请记录（已脱敏）", "Applications (masked)"},
	"admin.reprint":       {"补打回执", "Reprint"},
	"admin.sync":          {"立即同步", "Sync now"},
	"admin.retry":         {"重试失败项", "Retry dead"},
	"admin.testprint":     {"测试打印", "Test print"},
	"admin.testcamera":    {"测试高拍仪", "Test camera"},
	"admin.testreader":    {"测试读卡器", "Test reader"},
	"admin.log":           {"查看日志", "View log"},
	"admin.refresh":       {"刷新", "Refresh"},
	"admin.lock":          {"锁定", "Lock"},
	"admin.quit":          {"退出程序", "Quit kiosk"},
	"admin.busy":          {"正在执行……", "Working…"},
	"admin.failed":        {"失败：", "Failed:"},
	"admin.synced":        {"✓ 已同步", "✓ Synced"},
	"admin.retried":       {"✓ 已重新排队 %d 项", "✓ %d requeued"},
	"admin.reprinted":     {"✓ 已补打 %s", "✓ Reprinted %s"},
	"admin.printed":       {"✓ 测试页已打印", "✓ Test page printed"},
	"admin.cameraok":      {"✓ 高拍仪正常", "✓ Camera works"},
	"admin.placecard":     {"请放置身份证……", "Place a card…"},
	"admin.readerok":      {"✓ 读卡器正常", "✓ Reader works"},
}
