"""The rule table's sources (`src` in rules.v1.yaml) as a reader is shown them: each one's msgid, so that a
Chinese page names the documents in Chinese and an English page explains them. Pure.
tests/unit/test_calendar_grouping.py holds every `src` of the table to an entry here."""
from ...i18n import N_

SOURCES = {
    "水建管〔2003〕271号 第五条": N_("Dam safety appraisal measures (水建管〔2003〕271号), art. 5"),
    "办建管〔2018〕71号": N_("MWR notice on dam safety appraisal (办建管〔2018〕71号)"),
    "闽 2022 水库除险加固和运行管护通知": N_("Fujian 2022 notice on reservoir reinforcement and upkeep"),
    "办建管〔2018〕71号 (also 小(2) <15 m)": N_("MWR notice 办建管〔2018〕71号 (also 小(2) dams under 15 m)"),
    "闽 2022": N_("Fujian 2022 notice"),
    "2003 办法 第五条 (mirror)": N_("2003 appraisal measures, art. 5 (copy of the text)"),
    "闽水利 2017 鉴定动态管理通知": N_("Fujian water department 2017 notice on appraisal management"),
    "2003 办法 (jianshe99 quote)": N_("2003 appraisal measures (quoted)"),
    "2003 办法": N_("2003 appraisal measures"),
    "小型水库安全管理办法 第二十四条": N_("Small reservoir safety management measures, art. 24"),
    "2003 办法 (quotation breaks off; 3个月 from memory)":
        N_("2003 appraisal measures (quotation incomplete; the 3 months recalled)"),
    "小型水库巡视检查制度 template (非汛期每周一次，汛期每日一次)":
        N_("Small reservoir patrol rules, model text (weekly outside the flood season, daily in it)"),
    "小型水库安全管理办法 第二十二条": N_("Small reservoir safety management measures, art. 22"),
    "SL 551-2012 (recollection)": N_("SL 551-2012 (recalled, to be checked)"),
    "小型水库巡视检查制度 template": N_("Small reservoir patrol rules, model text"),
    "万宝沟 水库大坝巡视检查制度": N_("Wanbaogou reservoir dam patrol rules"),
    "Dayao county": N_("Dayao county patrol rules"),
    "GB/T 28592-2012": N_("GB/T 28592-2012 precipitation grades"),
    "小型水库巡视检查制度 template (每年不少于2~3次)":
        N_("Small reservoir patrol rules, model text (at least 2 to 3 a year)"),
    "万宝沟": N_("Wanbaogou reservoir rules"),
    "水库大坝安全管理条例 第二十二条 (recollection)":
        N_("Reservoir dam safety regulations, art. 22 (recalled, to be checked)"),
    "DB43 draft (renrendoc.com/paper/230036790.html)": N_("Hunan DB43 draft standard on small reservoir monitoring"),
    "tcwy.gov.cn 2022 district notice": N_("2022 district notice on the three responsible persons"),
    "福鼎 2018 (8037eee.com)": N_("Fuding 2018 river chief practice"),
    "fdxww.com 2021": N_("Fuding 2021 news on river keepers"),
    "m.fyrmtzx.cn (中新网 2022-04-14)": N_("Fuzhou river chief day (China News, 2022-04-14)"),
    "路长制 Fujian 2017 (structure only; frequencies not found)":
        N_("Fujian 2017 road chief system (structure only; no frequencies found)"),
    "JTG H11-2004 (sutiku.cn)": N_("JTG H11-2004 highway bridge maintenance code (quoted)"),
    "JTG H11-2004": N_("JTG H11-2004 highway bridge maintenance code"),
    "JTG 5120-2021 (sutiku.cn, partial)": N_("JTG 5120-2021 highway bridge maintenance code (partly quoted)"),
    "CJJ 99-2017 via 资阳市 (m.hongyun188.com)": N_("CJJ 99-2017 urban bridge maintenance standard (via Ziyang)"),
    "CJJ 99-2017 (recollection)": N_("CJJ 99-2017 urban bridge maintenance standard (recalled, to be checked)"),
    "NASSCO PACP grades (nassco.org)": N_("NASSCO PACP pipe condition grades"),
    "re-inspection cycle: policy": N_("re-inspection cycle: local policy"),
    "CJJ 68-2016 3.3.4 (98tuji.com/7450.html)": N_("CJJ 68-2016 drainage maintenance code, 3.3.4"),
    "news of several cities (汛前检查)": N_("practice reported by several cities (pre-flood checks)"),
    "news of several cities (冬检冬修)": N_("practice reported by several cities (winter overhaul)"),
    "inspection-rules.md §3.5 engine default": N_("the district's rule notes, §3.5: local default"),
    "JGJ 125-2016 §6.1.4 (cqna.gov.cn)": N_("JGJ 125-2016 dangerous building appraisal standard, §6.1.4"),
    "inspection-rules.md §3.5 (D → stop use and evacuate, daily watch until vacated)":
        N_("the district's rule notes, §3.5 (grade D: stop use, evacuate, watch daily until vacated)"),
    "§4.1.5": N_("the district's rule notes, §4.1.5"),
    "inspection-rules.md §3.5 (no standard found)": N_("the district's rule notes, §3.5 (no standard found)"),
}
