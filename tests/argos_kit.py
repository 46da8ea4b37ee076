"""Build small but real Argos Translate packages (``.argosmodel``) for tests and benchmarks.

Nothing here is downloaded and nothing is trained except a SentencePiece model on a few
hundred lines, so a package is ready in about a second. Two kinds of model are built:

``kind="copy"``
    A Transformer whose weights are set by hand so that greedy and beam search return the
    source tokens unchanged and then stop with ``</s>``. It runs through exactly the code
    path (and costs what) a real model of the same shape runs through, but its output is
    predictable: the decoded translation of a line is the line itself. The construction
    is explained in :func:`_copy_weights`.

``kind="random"``
    The same architecture with random weights. The output is gibberish and normally runs
    to the decoding length cap; useful for worst-case timing and for "the output differs
    from the input" checks.

Sizes: ``"tiny"`` (d_model 128, 1+1 layers, 4 heads, FFN 512, about 1000 pieces) and
``"base"`` (the Transformer-base shape: d_model 512, 6+6 layers, 8 heads, FFN 2048, as
many pieces as the corpus supports, at most 32000).

Only the standard library, numpy, sentencepiece and ctranslate2 are imported, so the
module can be used without importing argostranslate (which pulls in torch).

Example::

    zip_path = build_package(tmp_path / "en_ru.argosmodel", "en", "ru")
    assert copy_translate_check(zip_path, ["Hello {1}world{/1}!"]) == ["Hello {1}world{/1}!"]
"""

from __future__ import annotations

import io
import json
import math
import os
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ctranslate2
import numpy as np
import sentencepiece as spm

if TYPE_CHECKING:
    from types import ModuleType

__all__ = [
    "CT2_LAYOUTS",
    "DEFAULT_CORPUS",
    "SIZES",
    "ModelSize",
    "build_ct2_model",
    "build_package",
    "copy_translate_check",
    "train_sentencepiece",
]

# --------------------------------------------------------------------------------------
# Default SentencePiece training corpus: news-like English, Russian, Kyrgyz and Chinese,
# with the markup a translation pipeline has to carry through (placeholders, URLs,
# numbers, quotes of several traditions, full-width punctuation).
# --------------------------------------------------------------------------------------

_CORPUS_TEXT = """\
The Ministry of Education announced a new programme for rural schools on Monday.
More than 2,500 teachers will receive training in digital skills by the end of 2024.
The university opened a {1}Smart Classroom{/1} for first-year engineering students.
According to the report, 80-90% of graduates find a job within six months.
The conference will take place in Bishkek from 12 to 14 September 2023.
Registration is open at https://example.org/register until 1 August.
Prices rose by 3.5 per cent in the second quarter, the central bank said.
The new bridge is 1.2 km long and cost about $45 million.
Officials said the road would reopen "as soon as it is safe".
Kyrgyz National University (KNU) signed an agreement with three foreign partners.
Students can download the schedule from {1}the faculty website{/1} or ask at the office.
The weather service expects heavy snow in the mountains and rain in the valleys.
A spokesperson declined to comment on the negotiations.
The museum will be closed for renovation until further notice.
Exports of fruit and vegetables grew for the third year in a row.
The city council approved a budget of 12.7 billion som for 2025.
Click {1}here{/1} to read the full statement, or {2}contact us{/2} by e-mail.
The team won 3:1 after extra time and will play in the final on Sunday.
Researchers measured air quality at 40 points across the capital.
"We are proud of our students," the rector said at the ceremony.
The programme is funded by the European Union and the Asian Development Bank.
Applications must be submitted online before 17:00 on Friday, 5 May.
The average salary in the region reached 32,400 som per month.
Scientists warned that glaciers in the Tian Shan are shrinking faster than expected.
The hospital received new equipment worth more than 1.5 million dollars.
Flights between Osh and Moscow will resume next week.
The survey covered 1,024 households in seven provinces.
Parents and teachers discussed the new curriculum at a public meeting.
The company plans to hire 300 engineers and open an office in Almaty.
Details are available at www.example.com/news/2023/09/education.html.
Write to info@example.org if you have any questions about the competition.
The festival attracted visitors from 25 countries, organisers said.
Inflation slowed to 7.3% in October, down from 9.1% a year earlier.
The parliament will debate the draft law on 3 November.
The library has digitised more than 10,000 rare books and manuscripts.
Farmers expect a good harvest of apricots and walnuts this year.
The minister visited schools in Naryn, Talas and Batken.
Volunteers planted 5,000 trees along the river bank.
The report lists ten priorities, from clean water to internet access.
Tickets cost 500 som for adults and 200 som for children.
The exhibition "Silk Road Stories" opens on 1 March at 10:00.
Use the {1}Search{/1} button to find courses by subject or by teacher.
The first phase of the project (2023-2025) focuses on teacher training.
The agreement was signed by the heads of both delegations.
Traffic on the Bishkek-Osh highway was restricted because of a landslide.
The government promised to raise pensions by 10 percent from January.
A new mobile app lets students check their grades and timetable.
The data were published in the journal Nature on Wednesday.
Local media reported that the fire was put out within two hours.
The school will offer free lunches to pupils in grades 1-4.
The committee reviewed 148 applications and selected 12 projects.
Our office is open Monday to Friday, 9 a.m. to 6 p.m.
See section 4.2 of the annual report for a breakdown by region.
"The results speak for themselves," she told reporters.
The number of tourists increased by a quarter compared with last year.
Press {1}Ctrl{/1} + {2}S{/2} to save the document.
The lecture is available on video at https://video.example.net/watch?v=abc123.
The mayor said the new bus routes would start on 15 April.
Temperatures will drop to minus 20 degrees at night.
The study involved 3,200 participants aged 18 to 65.
Министерство образования объявило о запуске новой программы для сельских школ.
Более 2500 учителей пройдут обучение цифровым навыкам до конца 2024 года.
В университете открыли {1}умный класс{/1} для студентов первого курса.
По данным отчёта, 80–90% выпускников находят работу в течение полугода.
Конференция пройдёт в Бишкеке с 12 по 14 сентября 2023 года.
Регистрация открыта на сайте https://example.org/register до 1 августа.
Цены выросли на 3,5% во втором квартале, сообщил центральный банк.
Длина нового моста составляет 1,2 км, а его стоимость — около 45 млн долларов.
«Дорогу откроют, как только это станет безопасно», — заявили в ведомстве.
Кыргызский национальный университет (КНУ) подписал соглашение с тремя зарубежными партнёрами.
Расписание можно скачать на {1}сайте факультета{/1} или получить в деканате.
Синоптики ожидают сильный снег в горах и дождь в долинах.
Представитель компании отказался комментировать ход переговоров.
Музей будет закрыт на реконструкцию до особого распоряжения.
Экспорт фруктов и овощей растёт третий год подряд.
Городской совет утвердил бюджет на 2025 год в размере 12,7 млрд сомов.
Нажмите {1}здесь{/1}, чтобы прочитать заявление полностью, или {2}напишите нам{/2}.
Команда победила со счётом 3:1 в дополнительное время и сыграет в финале в воскресенье.
Исследователи измерили качество воздуха в 40 точках столицы.
«Мы гордимся нашими студентами», — сказал ректор на церемонии.
Программа финансируется Европейским союзом и Азиатским банком развития.
Заявки принимаются онлайн до 17:00 пятницы, 5 мая.
Средняя зарплата в регионе достигла 32 400 сомов в месяц.
Учёные предупреждают, что ледники Тянь-Шаня тают быстрее, чем ожидалось.
Больница получила новое оборудование стоимостью более 1,5 млн долларов.
Авиасообщение между Ошем и Москвой возобновится на следующей неделе.
В опросе приняли участие 1024 домохозяйства из семи областей.
Родители и учителя обсудили новую учебную программу на общественном собрании.
Компания планирует нанять 300 инженеров и открыть офис в Алматы.
Подробности опубликованы на www.example.com/news/2023/09/education.html.
Вопросы о конкурсе можно присылать на адрес info@example.org.
Фестиваль посетили гости из 25 стран, сообщили организаторы.
Инфляция в октябре замедлилась до 7,3% против 9,1% годом ранее.
Парламент рассмотрит законопроект 3 ноября.
Библиотека оцифровала более 10 000 редких книг и рукописей.
Фермеры ожидают хорошего урожая абрикосов и грецких орехов.
Министр посетил школы в Нарыне, Таласе и Баткене.
Волонтёры высадили 5000 деревьев вдоль берега реки.
В докладе перечислены десять приоритетов — от чистой воды до доступа к интернету.
Билет стоит 500 сомов для взрослых и 200 сомов для детей.
Выставка «Истории Шёлкового пути» откроется 1 марта в 10:00.
Нажмите кнопку {1}Поиск{/1}, чтобы найти курсы по предмету или преподавателю.
Первый этап проекта (2023–2025) посвящён подготовке учителей.
Соглашение подписали главы обеих делегаций.
Движение на трассе Бишкек — Ош ограничено из-за схода оползня.
Правительство пообещало повысить пенсии на 10% с января.
Новое мобильное приложение позволяет студентам проверять оценки и расписание.
Данные опубликованы в журнале Nature в среду.
Местные СМИ сообщили, что пожар потушили в течение двух часов.
Школьники 1–4 классов будут получать бесплатные обеды.
Комиссия рассмотрела 148 заявок и отобрала 12 проектов.
Офис работает с понедельника по пятницу, с 9:00 до 18:00.
Разбивку по регионам см. в разделе 4.2 годового отчёта.
«Результаты говорят сами за себя», — сказала она журналистам.
Число туристов выросло на четверть по сравнению с прошлым годом.
Нажмите {1}Ctrl{/1} + {2}S{/2}, чтобы сохранить документ.
Видеозапись лекции доступна по ссылке https://video.example.net/watch?v=abc123.
Ночью температура опустится до минус 20 градусов.
В исследовании участвовали 3200 человек в возрасте от 18 до 65 лет.
Ёлку на главной площади украсят к 25 декабря.
Съезд директоров школ прошёл в Оше; обсуждали «цифровую трансформацию».
Билим берүү министрлиги айыл мектептери үчүн жаңы программаны жарыялады.
2024-жылдын аягына чейин 2500дөн ашык мугалим санариптик көндүмдөргө окутулат.
Университетте биринчи курстун студенттери үчүн {1}акылдуу класс{/1} ачылды.
Отчётко ылайык, бүтүрүүчүлөрдүн 80–90% алты айдын ичинде жумуш табышат.
Конференция 2023-жылдын 12–14-сентябрында Бишкекте өтөт.
Каттоо https://example.org/register сайтында 1-августка чейин ачык.
Экинчи чейректе баалар 3,5% га өстү, деп билдирди Улуттук банк.
Жаңы көпүрөнүн узундугу 1,2 км, ал эми баасы 45 млн долларга жакын.
«Жол коопсуз болгондо эле ачылат», — деди министрликтин өкүлү.
Кыргыз улуттук университети (КУУ) үч чет өлкөлүк өнөктөш менен келишим түздү.
Сабак жадыбалын {1}факультеттин сайтынан{/1} жүктөп алса болот.
Синоптиктер тоолордо калың кар, өрөөндөрдө жамгыр жаайт деп күтүшөт.
Компаниянын өкүлү сүйлөшүүлөр боюнча пикир айтуудан баш тартты.
Музей оңдоп-түзөө иштерине байланыштан убактылуу жабылат.
Жашылча-жемиш экспорту үчүнчү жыл катары менен өсүүдө.
Шаардык кеңеш 2025-жылга 12,7 млрд сом бюджетти бекитти.
Билдирүүнү толук окуу үчүн {1}бул жерди{/1} басыңыз же {2}бизге жазыңыз{/2}.
Команда кошумча убакытта 3:1 эсебинде жеңип, жекшемби күнү финалда ойнойт.
Изилдөөчүлөр борбор шаардын 40 чекитинде абанын сапатын өлчөштү.
«Биз студенттерибиз менен сыймыктанабыз», — деди ректор салтанатта.
Программаны Европа Биримдиги жана Азия өнүктүрүү банкы каржылайт.
Арыздар 5-майда, жума күнү саат 17:00гө чейин онлайн кабыл алынат.
Аймактагы орточо айлык акы айына 32 400 сомго жетти.
Окумуштуулар Тянь-Шандын мөңгүлөрү күтүлгөндөн тез эрип жатканын эскертишти.
Оорукана 1,5 млн доллардан ашык жаңы жабдууларды алды.
Ош менен Москванын ортосундагы авиакаттамдар кийинки жумада калыбына келет.
Сурамжылоого жети облустан 1024 үй-бүлө катышты.
Ата-энелер жана мугалимдер жаңы окуу программасын талкуулашты.
Компания 300 инженерди жумушка алып, Алматыда кеңсе ачууну пландап жатат.
Кеңири маалымат www.example.com/news/2023/09/education.html дарегинде.
Сынак боюнча суроолорду info@example.org дарегине жөнөтүңүз.
Фестивалга 25 өлкөдөн меймандар келди, деп билдиришти уюштуруучулар.
Октябрда инфляция 7,3% га чейин басаңдады, былтыр 9,1% болгон.
Парламент мыйзам долбоорун 3-ноябрда карайт.
Китепкана 10 000ден ашык сейрек китептерди жана кол жазмаларды санариптештирди.
Дыйкандар быйыл өрүк менен жаңгактан мол түшүм күтүшүүдө.
Министр Нарын, Талас жана Баткендеги мектептерге барды.
Ыктыярчылар дарыянын жээгине 5000 көчөт отургузушту.
Билет чоңдор үчүн 500 сом, балдар үчүн 200 сом турат.
«Жибек жолунун окуялары» көргөзмөсү 1-мартта саат 10:00дө ачылат.
Сабактарды предмет же мугалим боюнча табуу үчүн {1}Издөө{/1} баскычын басыңыз.
Долбоордун биринчи баскычы (2023–2025) мугалимдерди даярдоого арналган.
Өкмөт январдан тартып пенсияларды 10% га көтөрүүнү убада кылды.
Жаңы мобилдик тиркеме студенттерге бааларын жана жадыбалын көрүүгө мүмкүндүк берет.
Жергиликтүү маалымат каражаттары өрт эки сааттын ичинде өчүрүлгөнүн кабарлашты.
1–4-класстын окуучулары акысыз түшкү тамак алышат.
Комиссия 148 арызды карап, 12 долбоорду тандап алды.
Кеңсе дүйшөмбүдөн жумага чейин саат 9:00дөн 18:00гө чейин иштейт.
«Натыйжалар өзү үчүн сүйлөйт», — деди ал журналисттерге.
Туристтердин саны өткөн жылга салыштырмалуу төрттөн бирге көбөйдү.
Документти сактоо үчүн {1}Ctrl{/1} + {2}S{/2} басыңыз.
Түнкүсүн аба ырайы минус 20 градуска чейин төмөндөйт.
Изилдөөгө 18 жаштан 65 жашка чейинки 3200 киши катышты.
Ысык-Көлдүн жээгинде жайкы лагерлер ачылды.
Мектеп окуучулары үчүн көңүлдүү өнөр сынагы өттү.
Бөлүмдүн башчысы жаңы окуу жылына даярдык жөнүндө айтып берди.
Жаңылыктар сайтыбызда күн сайын жаңыланып турат.
教育部周一宣布为农村学校推出一项新计划。
到2024年底，超过2500名教师将接受数字技能培训。
大学为一年级工程专业学生开设了{1}智慧教室{/1}。
报告显示，80%至90%的毕业生在六个月内找到工作。
会议将于2023年9月12日至14日在比什凯克举行。
注册网址为 https://example.org/register，截止日期为8月1日。
央行表示，第二季度物价上涨了3.5%。
新桥全长1.2公里，造价约4500万美元。
官员说，道路将在“确保安全后”尽快重新开放。
吉尔吉斯国立大学（KNU）与三家外国合作伙伴签署了协议。
学生可以从{1}学院网站{/1}下载课程表，也可以到办公室询问。
气象部门预计山区将有大雪，河谷地区将有降雨。
公司发言人拒绝就谈判发表评论。
博物馆将闭馆装修，另行通知前不开放。
水果和蔬菜出口连续第三年增长。
市议会批准了2025年127亿索姆的预算。
点击{1}这里{/1}阅读完整声明，或{2}联系我们{/2}。
球队在加时赛中以3比1获胜，将于周日参加决赛。
研究人员在首都40个地点测量了空气质量。
“我们为我们的学生感到骄傲，”校长在仪式上说。
该项目由欧盟和亚洲开发银行资助。
申请必须在5月5日星期五17:00之前在线提交。
该地区平均月工资达到32,400索姆。
科学家警告说，天山冰川的融化速度比预期更快。
医院获得了价值超过150万美元的新设备。
奥什和莫斯科之间的航班将于下周恢复。
调查覆盖了七个州的1024户家庭。
家长和教师在公开会议上讨论了新课程。
该公司计划招聘300名工程师，并在阿拉木图开设办事处。
详情请见 www.example.com/news/2023/09/education.html。
如对比赛有任何疑问，请发送邮件至 info@example.org。
组织者说，节日吸引了来自25个国家的游客。
10月份通胀率放缓至7.3%，去年同期为9.1%。
议会将于11月3日审议该法律草案。
图书馆已将一万多册珍本图书和手稿数字化。
农民预计今年杏子和核桃将获得丰收。
部长视察了纳伦、塔拉斯和巴特肯的学校。
志愿者沿河岸种植了5000棵树。
报告列出了十项优先事项，从清洁用水到互联网接入。
成人票价500索姆，儿童票价200索姆。
“丝绸之路故事”展览将于3月1日10:00开幕。
使用{1}搜索{/1}按钮，可按科目或教师查找课程。
项目第一阶段（2023—2025年）重点是教师培训。
由于山体滑坡，比什凯克—奥什公路交通受到限制。
政府承诺从1月起将养老金提高10%。
一款新的手机应用让学生可以查看成绩和课程表。
当地媒体报道，大火在两小时内被扑灭。
一至四年级学生将获得免费午餐。
委员会审查了148份申请，选出了12个项目。
办公时间为周一至周五上午9点至下午6点。
按{1}Ctrl{/1}+{2}S{/2}保存文档。
讲座视频见 https://video.example.net/watch?v=abc123。
夜间气温将降至零下20度。
这项研究有3200名年龄在18岁至65岁之间的参与者。
《丝绸之路》纪录片将在国家电视台播出。
他说：“结果不言自明。”
游客人数比去年增加了四分之一，其中大部分来自邻国。
The Ministry of Health reported 1,203 new cases; 97% of patients have recovered.
Version 2.0.1 fixes a crash when the file name contains spaces.
Error 404: the page https://example.org/missing was not found.
Revenue grew from €1.2m in 2021 to €3.4m in 2023 (+183%).
The ratio was 3/4, i.e. 0.75, as shown in Table 2.
Call +996 312 123 456 or +7 (495) 123-45-67 for more information.
The temperature reached 38.6 °C, the highest since 1998.
The file "report_final_v2.pdf" (2.4 MB) is attached.
Q&A: What is the deadline? — 30 June, 23:59 (GMT+6).
Item #42 costs 1 299,00 ₽ or about 14.50 USD.
Сумма сделки составила 1,2 млрд рублей (≈ 13 млн долларов).
Телефон горячей линии: 8-800-123-45-67, звонок бесплатный.
Статья 15, пункт 3.2: «Срок действия договора — 5 лет».
Версия 2.0.1 исправляет ошибку при открытии файлов с пробелами в имени.
Ошибка 404: страница https://example.org/missing не найдена.
Тел.: +996 312 123 456; эл. почта: press@example.kg.
15-берене, 3.2-пункт: «Келишимдин мөөнөтү — 5 жыл».
Ыкчам линиянын телефону: 1212, чалуу акысыз.
Көңүл буруңуз: сайт 3-июнда саат 02:00дөн 04:00гө чейин иштебейт.
第15条第3.2款：“合同有效期为5年。”
错误404：找不到页面 https://example.org/missing。
热线电话：12345，免费拨打。
版本2.0.1修复了文件名包含空格时的崩溃问题。
温度达到38.6°C，为1998年以来最高。
{1}Note:{/1} the {2}beta{/2} version is not supported on Windows XP.
{1}Внимание:{/1} {2}бета-версия{/2} не поддерживается в Windows XP.
{1}Эскертүү:{/1} {2}бета-версиясы{/2} Windows XP'де колдоого алынбайт.
{1}注意：{/1}{2}测试版{/2}不支持Windows XP。
Tilmech translates documents between English, Russian, Kyrgyz and Chinese.
Tilmech англис, орус, кыргыз жана кытай тилдеринин ортосунда которот.
Tilmech переводит документы с английского, русского, кыргызского и китайского.
Tilmech可以在英语、俄语、吉尔吉斯语和汉语之间翻译文档。
"""


def _generated_lines() -> list[str]:
    """Lines assembled from small tables so the corpus also covers many number formats."""
    lines: list[str] = []
    years = ["1991", "2000", "2010", "2019", "2020", "2021", "2022", "2023", "2024", "2025"]
    for i, year in enumerate(years):
        pct = 5 + 9 * i
        lines.append(f"In {year}, {pct}% of schools had internet access ({i + 1}/{len(years)}).")
        lines.append(f"В {year} году доступ к интернету имели {pct}% школ.")
        lines.append(f"{year}-жылы мектептердин {pct}% интернетке кошулган.")
        lines.append(f"{year}年，{pct}%的学校接入了互联网。")
        lines.append(
            f"See {{1}}page {i + 2}{{/1}} and https://example.org/docs/{year}/item-{i}?lang=ru#s{i}."
        )
    return lines


DEFAULT_CORPUS: list[str] = _CORPUS_TEXT.splitlines() + _generated_lines()
"""The default SentencePiece training corpus (about 300 lines, EN/RU/KY/ZH)."""


# --------------------------------------------------------------------------------------
# Sizes and constants
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelSize:
    """Shape of a generated Transformer."""

    d_model: int
    encoder_layers: int
    decoder_layers: int
    heads: int
    ffn: int
    vocab_size: int  # requested; the corpus may support fewer pieces


SIZES: dict[str, ModelSize] = {
    "tiny": ModelSize(
        d_model=128, encoder_layers=1, decoder_layers=1, heads=4, ffn=512, vocab_size=1000
    ),
    "base": ModelSize(
        d_model=512, encoder_layers=6, decoder_layers=6, heads=8, ffn=2048, vocab_size=32000
    ),
}

#: Rows of the learned position table (encoder and decoder). CTranslate2 truncates the
#: source to ``max_input_length`` (default 1024) tokens and stops decoding at
#: ``max_decoding_length`` (default 256); the table covers both defaults.
MAX_POSITIONS = 1032

#: Noise scale of the weights that take no part in the copy mechanism. They are not zero
#: so that no weight row is all zeros (int8 quantization scales each row by its maximum)
#: and nothing in the model is degenerate; their effect on the output is negligible.
_NOISE = 1e-3

_LANGUAGE_NAMES = {
    "en": "English",
    "ru": "Russian",
    "ky": "Kyrgyz",
    "zh": "Chinese",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "tr": "Turkish",
    "kk": "Kazakh",
    "uz": "Uzbek",
}


# --------------------------------------------------------------------------------------
# SentencePiece
# --------------------------------------------------------------------------------------


def train_sentencepiece(
    corpus: Iterable[str] | None = None,
    vocab_size: int = 1000,
    *,
    user_defined_symbols: Sequence[str] = (),
    seed: int = 0,
) -> bytes:
    """Train a unigram SentencePiece model in memory and return its serialized bytes.

    Settings keep text byte-exact: identity normalization, no whitespace folding, byte
    fallback (every character encodes, unknown ones as UTF-8 byte pieces), full character
    coverage. Ids 0, 1, 2 are ``<unk>``, ``<s>``, ``</s>`` (CTranslate2's defaults); there is
    no padding piece. ``vocab_size`` is a soft limit: when the corpus cannot support that
    many pieces the model gets as many as it can, so training never fails for size.
    """
    lines = [line for line in (DEFAULT_CORPUS if corpus is None else corpus) if line.strip()]
    if not lines:
        raise ValueError("the SentencePiece corpus is empty")
    spm.set_random_generator_seed(seed)
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        model_type="unigram",
        character_coverage=1.0,
        byte_fallback=True,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        user_defined_symbols=list(user_defined_symbols),
        num_threads=1,
        minloglevel=2,
    )
    return model.getvalue()


# --------------------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------------------


def _ct2_specs() -> ModuleType:
    """Return ``ctranslate2.specs`` without paying for a torch import.

    ``ctranslate2.specs`` imports torch at module level only to accept torch tensors (and
    to convert to bfloat16); importing torch costs ~2-3 s, ten times the rest of a tiny
    build. When torch is not imported yet, the specs are imported with torch hidden, then
    torch is made importable again. Consequence, for this process only: the specs accept
    numpy arrays only, which is all this module gives them. When torch is already loaded
    (for instance by argostranslate) the specs are imported normally.
    """
    if "ctranslate2.specs" in sys.modules or "torch" in sys.modules:
        return ctranslate2.specs
    sys.modules["torch"] = None  # type: ignore[assignment]  # makes "import torch" fail
    try:
        return ctranslate2.specs
    finally:
        del sys.modules["torch"]


def _balanced_codes(rng: np.random.Generator, vocab: int, width: int) -> np.ndarray:
    """Return ``vocab`` distinct ±1 codes of ``width`` entries, each with as many +1 as -1.

    Balance makes every code sum to zero, which keeps LayerNorm from shifting it. For
    vocabularies small enough to check, codes are redrawn until no two share more than
    ``width - 16`` agreeing entries minus disagreeing ones (a logit margin of >= 16).
    """
    base = np.where(np.arange(width) < width // 2, 1.0, -1.0).astype(np.float32)
    for _ in range(50):
        codes = rng.permuted(np.tile(base, (vocab, 1)), axis=1)
        if vocab > 4096:
            return codes
        gram = codes @ codes.T
        np.fill_diagonal(gram, -width)
        if gram.max() <= width - 16:
            return codes
    raise RuntimeError("could not draw well-separated token codes")  # pragma: no cover


def _position_features(freqs: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Quadruples (cos, sin, -cos, -sin) per frequency: sums to zero, constant norm."""
    angles = positions[:, None] * freqs[None, :]
    cos, sin = np.cos(angles), np.sin(angles)
    quads = np.stack([cos, sin, -cos, -sin], axis=-1)
    return quads.reshape(len(positions), 4 * len(freqs)).astype(np.float32)


def _choose_frequencies(
    rng: np.random.Generator, count: int, groups: list[list[int]], max_pos: int
) -> tuple[np.ndarray, float]:
    """Draw ``count`` random frequencies; return them with the worst side-lobe margin.

    A head that uses the frequencies of one group scores decoder position t against
    encoder position s in proportion to ``sum_f cos(w_f (t - s))`` over the group: the
    group size at t == s and, for random w_f, clearly less for every other offset up to
    ``max_pos``. The margin is the smallest such gap over all groups and offsets; the best
    of a few draws is kept.
    """
    offsets = np.arange(1, max_pos, dtype=np.float64)
    best: tuple[np.ndarray, float] | None = None
    for _ in range(8):
        freqs = rng.uniform(0.15, math.pi - 0.15, size=count)
        cosines = np.cos(offsets[:, None] * freqs[None, :])
        margin = min(float(len(g) - cosines[:, g].sum(axis=1).max()) for g in groups)
        if best is None or margin > best[1]:
            best = (freqs, margin)
    assert best is not None
    if best[1] < 1.0:  # pragma: no cover - never seen; would make attention unsharp
        raise RuntimeError("could not draw well-separated position frequencies")
    return best


class _Filler:
    """Draw float32 arrays from one seeded generator."""

    def __init__(self, rng: np.random.Generator, scale: float) -> None:
        self.rng = rng
        self.scale = scale

    def noise(self, *shape: int) -> np.ndarray:
        """Gaussian noise; ``scale / sqrt(fan_in)`` for matrices, ``scale`` for vectors."""
        std = self.scale / math.sqrt(shape[-1]) if len(shape) > 1 else self.scale
        return self.rng.standard_normal(shape, dtype=np.float32) * np.float32(std)


def _fill_layer_norm(ln: Any, d: int) -> None:
    """Identity LayerNorm: gamma 1, beta 0."""
    ln.gamma = np.ones(d, dtype=np.float32)
    ln.beta = np.zeros(d, dtype=np.float32)


def _fill_linear(lin: Any, weight: np.ndarray) -> None:
    """Set a linear layer's weight (``[out, in]``) and a zero bias."""
    lin.weight = np.ascontiguousarray(weight, dtype=np.float32)
    lin.bias = np.zeros(weight.shape[0], dtype=np.float32)


def _fill_generic(
    spec: ctranslate2.specs.TransformerSpec, size: ModelSize, vocab: int, fill: _Filler
) -> None:
    """Set every weight of ``spec`` to noise of ``fill``'s scale (LayerNorms to identity)."""
    d, f = size.d_model, size.ffn
    enc, dec = spec.encoder, spec.decoder
    enc.embeddings[0].weight = fill.noise(vocab, d)
    dec.embeddings.weight = fill.noise(vocab, d)
    _fill_linear(dec.projection, fill.noise(vocab, d))
    _fill_layer_norm(enc.layer_norm, d)
    _fill_layer_norm(dec.layer_norm, d)
    for layer in list(enc.layer) + list(dec.layer):
        attentions = [layer.self_attention]
        if hasattr(layer, "attention"):
            attentions.append(layer.attention)
        for att in attentions:
            _fill_layer_norm(att.layer_norm, d)
            if len(att.linear) == 2:  # self-attention: fused QKV, output
                _fill_linear(att.linear[0], fill.noise(3 * d, d))
                _fill_linear(att.linear[1], fill.noise(d, d))
            else:  # cross-attention: Q, fused KV, output
                _fill_linear(att.linear[0], fill.noise(d, d))
                _fill_linear(att.linear[1], fill.noise(2 * d, d))
                _fill_linear(att.linear[2], fill.noise(d, d))
        _fill_layer_norm(layer.ffn.layer_norm, d)
        _fill_linear(layer.ffn.linear_0, fill.noise(f, d))
        _fill_linear(layer.ffn.linear_1, fill.noise(d, f))


def _copy_weights(
    spec: ctranslate2.specs.TransformerSpec,
    size: ModelSize,
    vocab: int,
    rng: np.random.Generator,
    decoder_offset: int,
) -> None:
    """Hand-set the weights of a Transformer that copies its source.

    Notation: ``d`` = d_model, ``H`` heads of width ``h = d / H``. The residual stream is
    split in two halves: the *code block* (dims ``[0, d/2)``) and the *position block*
    (dims ``[d/2, d)``).

    1. **Token codes.** Every vocabulary id gets a random ±1 code of width ``d/2`` with
       equal numbers of +1 and -1 (:func:`_balanced_codes`). The encoder embedding of a
       token is its code in the code block and zero elsewhere, divided by ``sqrt(d)``
       because CTranslate2 multiplies embeddings by ``sqrt(d)``.
    2. **Positions.** Encoder and decoder get a learned position table (the
       ``position_encodings.encodings`` variable) that is zero in the code block and holds
       ``(cos, sin, -cos, -sin)(w_f * p)`` for ``d/8`` random frequencies ``w_f`` in the
       position block. With balanced codes every residual vector sums to zero and has the
       same norm, so every LayerNorm (gamma 1, beta 0) is just a fixed scalar factor and
       cannot disturb the construction.
    3. **Encoder.** All encoder layers get noise weights (scale ``_NOISE``), so the encoder
       output at source position ``s`` is ``LN([code(token_s), pos(s)])``. The
       ``</s>`` that CTranslate2 appends to the source (``add_source_eos``) is a token
       like any other and is carried the same way.
    4. **Decoder input.** Decoder embeddings are noise: what the decoder was fed does not
       matter, only its position ``t`` does. With ``decoder_offset`` k (1 when the package
       has a target prefix) the decoder position table holds ``pos(t - k)``.
    5. **Cross-attention of decoder layer 0 does the copy.** In every head the query
       reads ``(cos, sin)(w_f * t)`` and the key ``(cos, sin)(w_f * s)`` for ``h/2`` of
       the frequencies (its group), so the score is ``A * sum_f cos(w_f (t - s))``:
       maximal exactly at ``s = t``, with a margin checked for every group and every
       offset the position table allows (:func:`_choose_frequencies`)
       and scaled (``A``) to about 30 nats, so attention is one-hot in practice. Head
       ``i``'s value reads slice ``i`` (width ``h/2``) of the code block; the output
       projection writes the slices back into the code block of the decoder's residual
       stream, which then holds ``[code(source token t), pos(t)]``.
    6. **Output projection.** Row ``v`` of the vocabulary projection is ``code(v)`` (zero
       on the position block), so the logit of ``v`` is proportional to
       ``code(v) . code(source token t)``: ``d/2`` for the right token, at most
       ``d/2 - 16`` for any other (checked for vocabularies up to 4096; for larger ones
       the codes are 256 wide and random codes that close are vanishingly unlikely). Decoding step ``t`` therefore emits source token ``t``
       and, after the last one, ``</s>``, which ends the hypothesis.

    All other weights (self-attention, FFNs, the cross-attention of later layers) are
    noise of scale ``_NOISE``; their contribution is ~1e-5 of the signal. Every value the
    construction relies on is ±1 or a sine, so int8 quantization keeps the result exact.
    """
    d, heads = size.d_model, size.heads
    h = d // heads
    half = d // 2
    n_freq = d // 8
    if d % 8 or h % 2 or n_freq < h // 2:
        raise ValueError(f"unsupported shape for a copy model: {size}")

    _fill_generic(spec, size, vocab, _Filler(rng, _NOISE))
    enc, dec = spec.encoder, spec.decoder
    sqrt_d = math.sqrt(d)

    per_head = h // 2  # frequencies per head and code entries per head
    groups = [[(head * per_head + j) % n_freq for j in range(per_head)] for head in range(heads)]
    codes = _balanced_codes(rng, vocab, half)
    freqs, margin = _choose_frequencies(rng, n_freq, groups, MAX_POSITIONS + decoder_offset + 1)

    # 1. encoder embeddings: code block only (scaled for CT2's sqrt(d) multiplier).
    emb = np.zeros((vocab, d), dtype=np.float32)
    emb[:, :half] = codes / sqrt_d
    enc.embeddings[0].weight = emb

    # 2. position tables.
    positions = np.arange(MAX_POSITIONS, dtype=np.float64)
    enc_pos = np.zeros((MAX_POSITIONS, d), dtype=np.float32)
    enc_pos[:, half:] = _position_features(freqs, positions)
    enc.position_encodings.encodings = enc_pos
    dec_pos = np.zeros((MAX_POSITIONS, d), dtype=np.float32)
    dec_pos[:, half:] = _position_features(freqs, positions - decoder_offset)
    dec.position_encodings.encodings = dec_pos

    # LayerNorm factors (std over d of the vectors above; all have mean 0).
    enc_ln = math.sqrt(d / (half + 2 * n_freq))  # encoder output: code + position
    dec_ln = math.sqrt(d / (2 * n_freq))  # decoder before the copy: position only

    # 5. cross-attention of decoder layer 0.
    att = dec.layer[0].attention
    score_scale = 30.0 / margin  # "A": side lobes are >= 30 nats below the peak
    q = att.linear[0].weight.copy()
    kv = att.linear[1].weight.copy()
    out = att.linear[2].weight.copy()
    for head in range(heads):
        for j in range(per_head):
            freq = groups[head][j]
            cos_dim = half + 4 * freq
            for k, dim in enumerate((cos_dim, cos_dim + 1)):  # cos, sin
                row = head * h + 2 * j + k
                q[row, :] = 0.0
                kv[row, :] = 0.0
                # CT2 multiplies queries by 1/sqrt(h); undo it and both LN factors.
                q[row, dim] = score_scale * math.sqrt(h) / (dec_ln * enc_ln)
                kv[row, dim] = 1.0
            code_dim = head * per_head + j
            v_row = d + head * h + j
            kv[v_row, :] = 0.0
            kv[v_row, code_dim] = 1.0 / enc_ln  # value = code entry (LN undone)
            out[code_dim, :] = 0.0
            out[code_dim, head * h + j] = 1.0  # write it back into the code block
    _fill_linear(att.linear[0], q)
    _fill_linear(att.linear[1], kv)
    _fill_linear(att.linear[2], out)

    # 6. vocabulary projection reads the code block.
    proj = np.zeros((vocab, d), dtype=np.float32)
    proj[:, :half] = codes / enc_ln  # decoder output = LN(code + position), LN undone
    proj[:, half:] = _Filler(rng, _NOISE).noise(vocab, half)
    _fill_linear(dec.projection, proj)


def _random_weights(
    spec: ctranslate2.specs.TransformerSpec, size: ModelSize, vocab: int, rng: np.random.Generator
) -> None:
    """Random weights of a usual initialization scale; CT2's sinusoidal positions."""
    fill = _Filler(rng, 1.0)
    _fill_generic(spec, size, vocab, fill)
    spec.encoder.embeddings[0].weight = rng.standard_normal(
        (vocab, size.d_model), dtype=np.float32
    ) / np.float32(math.sqrt(size.d_model))
    spec.decoder.embeddings.weight = rng.standard_normal(
        (vocab, size.d_model), dtype=np.float32
    ) / np.float32(math.sqrt(size.d_model))


# --------------------------------------------------------------------------------------
# Package
# --------------------------------------------------------------------------------------


_README = """\
# {name}: SYNTHETIC TEST MODEL, NOT A TRANSLATION MODEL

This Argos Translate package was generated by `tests/argos_kit.py` of the Tilmech project
for automated tests and benchmarks. It does not translate.

- kind: `{kind}` ({kind_text})
- size: `{size}` (d_model {d_model}, {enc}+{dec} layers, {heads} heads, FFN {ffn}, vocabulary {vocab})
- quantization: `{quantization}`
- languages (labels only): {from_code} -> {to_code}
- seed: {seed}

Do not install it for real use and do not publish it.
"""

_KIND_TEXT = {
    "copy": "hand-set weights; the output repeats the input token for token",
    "random": "random weights; the output is gibberish",
}


def build_package(
    dest: Path,
    from_code: str = "en",
    to_code: str = "ru",
    *,
    kind: str = "copy",
    size: str = "tiny",
    quantization: str | None = None,
    target_prefix: str | None = None,
    corpus: Iterable[str] | None = None,
    seed: int = 0,
) -> Path:
    """Write dest (a .argosmodel zip) and return it.

    The zip holds one folder, ``f"{kind}-{from_code}_{to_code}"``, with ``metadata.json``,
    ``model/`` (a CTranslate2 model), ``sentencepiece.model`` and ``README.md``.

    Args:
      dest: Path of the zip to write (parent folders are created).
      from_code, to_code: Language codes written to the metadata.
      kind: ``"copy"`` (output == input) or ``"random"`` (gibberish).
      size: ``"tiny"`` or ``"base"`` (see :data:`SIZES`).
      quantization: ``None`` (float32) or ``"int8"`` (any CTranslate2 quantization works).
      target_prefix: Written to the metadata and added to the SentencePiece vocabulary as
        a user-defined piece. A copy model then expects that piece forced as the first
        target token (as Argos does) and copies the source after it.
      corpus: SentencePiece training lines; :data:`DEFAULT_CORPUS` when ``None``.
      seed: Seeds SentencePiece and all weights; same arguments give the same model.
    """
    if kind not in _KIND_TEXT:
        raise ValueError(f"kind must be 'copy' or 'random', not {kind!r}")
    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}, not {size!r}")
    shape = SIZES[size]
    dest = Path(dest)

    sp_bytes = train_sentencepiece(
        corpus,
        shape.vocab_size,
        user_defined_symbols=[target_prefix] if target_prefix else (),
        seed=seed,
    )
    sp = spm.SentencePieceProcessor(model_proto=sp_bytes)
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    vocab = len(pieces)

    rng = np.random.default_rng(seed)
    spec = _ct2_specs().TransformerSpec.from_config(
        (shape.encoder_layers, shape.decoder_layers),
        shape.heads,
        alignment_layer=0 if kind == "copy" else -1,
    )
    if kind == "copy":
        _copy_weights(spec, shape, vocab, rng, decoder_offset=1 if target_prefix else 0)
    else:
        _random_weights(spec, shape, vocab, rng)
    spec.config.add_source_eos = True
    spec.register_source_vocabulary(pieces)
    spec.register_target_vocabulary(pieces)
    spec.validate()
    spec.optimize(quantization=quantization)

    folder = f"{kind}-{from_code}_{to_code}"
    metadata: dict[str, str] = {
        "package_version": "1.0",
        "argos_version": "1.0",
        "from_code": from_code,
        "to_code": to_code,
        "from_name": _LANGUAGE_NAMES.get(from_code, from_code),
        "to_name": _LANGUAGE_NAMES.get(to_code, to_code),
        "type": "translate",
        "name": f"Synthetic {kind} model ({size}) {from_code}-{to_code}",
    }
    if target_prefix:
        metadata["target_prefix"] = target_prefix
    readme = _README.format(
        name=metadata["name"],
        kind=kind,
        kind_text=_KIND_TEXT[kind],
        size=size,
        d_model=shape.d_model,
        enc=shape.encoder_layers,
        dec=shape.decoder_layers,
        heads=shape.heads,
        ffn=shape.ffn,
        vocab=vocab,
        quantization=quantization or "float32",
        from_code=from_code,
        to_code=to_code,
        seed=seed,
    )

    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="argos_kit_") as tmp:
        model_dir = Path(tmp) / "model"
        model_dir.mkdir()
        spec.save(str(model_dir))
        with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            zf.writestr(f"{folder}/", "")
            zf.writestr(
                f"{folder}/metadata.json", json.dumps(metadata, ensure_ascii=False, indent=2) + "\n"
            )
            zf.writestr(f"{folder}/README.md", readme)
            zf.writestr(f"{folder}/sentencepiece.model", sp_bytes)
            zf.writestr(f"{folder}/model/", "")
            for path in sorted(model_dir.iterdir()):
                # Float weights hardly compress; store model.bin to keep building fast.
                compress = zipfile.ZIP_STORED if path.name == "model.bin" else zipfile.ZIP_DEFLATED
                zf.write(path, f"{folder}/model/{path.name}", compress_type=compress)
    return dest


def copy_translate_check(package_zip: Path, lines: list[str], beam_size: int = 1) -> list[str]:
    """Translate ``lines`` with the package the way a product would, and return the outputs.

    Unpacks the zip to a temporary folder, loads ``ctranslate2.Translator`` on its
    ``model/`` and its ``sentencepiece.model``, encodes each line to pieces, runs one
    ``translate_batch`` (forcing the metadata's ``target_prefix`` when there is one, and
    dropping it from the output) and decodes the best hypothesis. For a copy package the
    result equals ``lines``.
    """
    with tempfile.TemporaryDirectory(prefix="argos_kit_check_") as tmp:
        with zipfile.ZipFile(package_zip) as zf:
            zf.extractall(tmp)
        (root,) = [p for p in Path(tmp).iterdir() if p.is_dir()]
        metadata = json.loads((root / "metadata.json").read_text(encoding="utf-8"))
        prefix = metadata.get("target_prefix") or None
        sp = spm.SentencePieceProcessor(model_file=str(root / "sentencepiece.model"))
        threads = max(1, min(4, os.cpu_count() or 1))
        translator = ctranslate2.Translator(
            str(root / "model"), device="cpu", intra_threads=threads
        )
        source = [sp.encode(line, out_type=str) for line in lines]
        results = translator.translate_batch(
            source,
            target_prefix=[[prefix]] * len(source) if prefix else None,
            beam_size=beam_size,
            max_batch_size=32,  # CTranslate2 then sorts by length, so little padding
            max_decoding_length=max(256, max((len(s) for s in source), default=0) + 8),
        )
        outputs = []
        for result in results:
            tokens = list(result.hypotheses[0])
            if prefix and tokens[:1] == [prefix]:
                tokens = tokens[1:]
            outputs.append(sp.decode(tokens))
        del translator
    return outputs


# --------------------------------------------------------------------------------------
# A converted model directory shaped like NLLB-200, M2M-100 or OPUS-MT
# --------------------------------------------------------------------------------------

#: Language tokens each layout's vocabulary holds (M2M-100 here has no Kyrgyz, like the real one).
CT2_LAYOUTS: dict[str, tuple[str, ...]] = {
    "nllb": ("eng_Latn", "rus_Cyrl", "kir_Cyrl", "zho_Hans"),
    "m2m100": ("__en__", "__ru__", "__zh__"),
    "opus-mt": (),
}


def build_ct2_model(dest: Path, layout: str = "nllb", *, size: str = "tiny", quantization: str | None = None,
                    corpus: Iterable[str] | None = None, seed: int = 0) -> Path:
    """Write a copy model to the folder ``dest`` as ``ct2-transformers-converter`` leaves one; return ``dest``.

    Like a converted NLLB-200 or M2M-100 model it expects the source framed as
    ``[source language token] + pieces + ["</s>"]`` (the model adds nothing itself) and
    a forced target language token; the decoder starts from ``</s>``. Decoder position
    ``t`` copies source position ``t``: the forced target token replaces the source
    language token and the pieces follow, so the output equals the input only when the
    source is framed exactly so. ``layout="opus-mt"``: no language tokens, the source is
    ``pieces + ["</s>"]``, and the SentencePiece model is written twice, as
    ``source.spm`` and ``target.spm``. Otherwise it is ``sentencepiece.bpe.model``.
    """
    if layout not in CT2_LAYOUTS:
        raise ValueError(f"layout must be one of {sorted(CT2_LAYOUTS)}, not {layout!r}")
    shape = SIZES[size]
    sp_bytes = train_sentencepiece(corpus, shape.vocab_size, user_defined_symbols=CT2_LAYOUTS[layout], seed=seed)
    sp = spm.SentencePieceProcessor(model_proto=sp_bytes)
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    rng = np.random.default_rng(seed)
    spec = _ct2_specs().TransformerSpec.from_config(
        (shape.encoder_layers, shape.decoder_layers), shape.heads, alignment_layer=0)
    _copy_weights(spec, shape, len(pieces), rng, decoder_offset=0)
    spec.config.add_source_eos = False
    spec.config.decoder_start_token = "</s>"
    spec.register_source_vocabulary(pieces)
    spec.register_target_vocabulary(pieces)
    spec.validate()
    spec.optimize(quantization=quantization)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    spec.save(str(dest))
    names = ("source.spm", "target.spm") if layout == "opus-mt" else ("sentencepiece.bpe.model",)
    for name in names:
        (dest / name).write_bytes(sp_bytes)
    (dest / "README.md").write_text(
        f"# SYNTHETIC TEST MODEL ({layout}-shaped copy model), NOT A TRANSLATION MODEL\n\n"
        f"Generated by tests/argos_kit.py; its output repeats its input. Seed {seed}.\n", encoding="utf-8")
    return dest
