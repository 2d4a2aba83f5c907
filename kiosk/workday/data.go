package workday

// official is the embedded calendar: the official public holidays (放假) and adjusted working days (调休上班)
// for every year the State Council has published a notice for.
//
// Source: the General Office of the State Council's annual notices on holiday arrangements (国务院办公厅关于
// 部分节假日安排的通知), as collected in NateScarlet/holiday-cn (https://github.com/NateScarlet/holiday-cn,
// MIT licence); each year names its notice. The facts were re-entered here as date spans; the files
// themselves are not copied. 2027 has no notice yet (Covers(2027) is false).
//
// To add a year: append it here from the notice, or let the review service send a calendar (Load).
var official = []Year{
	{Year: 2022, Notice: "http://www.gov.cn/zhengce/zhengceku/2021-10/25/content_5644835.htm",
		Holidays: []Holiday{
			{Name: "元旦", From: "2022-01-01", To: "2022-01-03"},
			{Name: "春节", From: "2022-01-31", To: "2022-02-06"},
			{Name: "清明节", From: "2022-04-03", To: "2022-04-05"},
			{Name: "劳动节", From: "2022-04-30", To: "2022-05-04"},
			{Name: "端午节", From: "2022-06-03", To: "2022-06-05"},
			{Name: "中秋节", From: "2022-09-10", To: "2022-09-12"},
			{Name: "国庆节", From: "2022-10-01", To: "2022-10-07"},
		},
		Workdays: []string{"2022-01-29", "2022-01-30", "2022-04-02", "2022-04-24", "2022-05-07", "2022-10-08", "2022-10-09"}},
	{Year: 2023, Notice: "http://www.gov.cn/zhengce/zhengceku/2022-12/08/content_5730844.htm",
		Holidays: []Holiday{
			{Name: "元旦", From: "2022-12-31", To: "2023-01-02"},
			{Name: "春节", From: "2023-01-21", To: "2023-01-27"},
			{Name: "清明节", From: "2023-04-05", To: "2023-04-05"},
			{Name: "劳动节", From: "2023-04-29", To: "2023-05-03"},
			{Name: "端午节", From: "2023-06-22", To: "2023-06-24"},
			{Name: "中秋节、国庆节", From: "2023-09-29", To: "2023-10-06"},
		},
		Workdays: []string{"2023-01-28", "2023-01-29", "2023-04-23", "2023-05-06", "2023-06-25", "2023-10-07", "2023-10-08"}},
	{Year: 2024, Notice: "https://www.gov.cn/zhengce/zhengceku/202310/content_6911528.htm",
		Holidays: []Holiday{
			{Name: "元旦", From: "2024-01-01", To: "2024-01-01"},
			{Name: "春节", From: "2024-02-10", To: "2024-02-17"},
			{Name: "清明节", From: "2024-04-04", To: "2024-04-06"},
			{Name: "劳动节", From: "2024-05-01", To: "2024-05-05"},
			{Name: "端午节", From: "2024-06-10", To: "2024-06-10"},
			{Name: "中秋节", From: "2024-09-15", To: "2024-09-17"},
			{Name: "国庆节", From: "2024-10-01", To: "2024-10-07"},
		},
		Workdays: []string{"2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11", "2024-09-14", "2024-09-29", "2024-10-12"}},
	{Year: 2025, Notice: "https://www.gov.cn/zhengce/zhengceku/202411/content_6986383.htm",
		Holidays: []Holiday{
			{Name: "元旦", From: "2025-01-01", To: "2025-01-01"},
			{Name: "春节", From: "2025-01-28", To: "2025-02-04"},
			{Name: "清明节", From: "2025-04-04", To: "2025-04-06"},
			{Name: "劳动节", From: "2025-05-01", To: "2025-05-05"},
			{Name: "端午节", From: "2025-05-31", To: "2025-06-02"},
			{Name: "国庆节、中秋节", From: "2025-10-01", To: "2025-10-08"},
		},
		Workdays: []string{"2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"}},
	{Year: 2026, Notice: "https://www.gov.cn/zhengce/zhengceku/202511/content_7047091.htm",
		Holidays: []Holiday{
			{Name: "元旦", From: "2026-01-01", To: "2026-01-03"},
			{Name: "春节", From: "2026-02-15", To: "2026-02-23"},
			{Name: "清明节", From: "2026-04-04", To: "2026-04-06"},
			{Name: "劳动节", From: "2026-05-01", To: "2026-05-05"},
			{Name: "端午节", From: "2026-06-19", To: "2026-06-21"},
			{Name: "中秋节", From: "2026-09-25", To: "2026-09-27"},
			{Name: "国庆节", From: "2026-10-01", To: "2026-10-07"},
		},
		Workdays: []string{"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"}},
}
