"""A generated corpus of English news articles for benchmarks: deterministic for a seed.

Articles are assembled from sentence templates in the style of the project's news
(people and organisations, numbers, dates, percentages, Markdown links and bold text,
glossary terms such as UNESCO-ICHEI and Kyrgyz National University), each filled with
different values, so that sentences repeat as rarely as in a real back catalogue.
Every article: front matter (title, date, summary), three to five paragraphs of one
to three sentences, sometimes a heading.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path

PEOPLE = ["Prof. Erlan Bazarbaev", "Prof. HAN Wei", "Mr. XU Mingshun", "Dr. Aigul Osmonova", "Ms. Li Na",
          "Prof. Irina Dmitrienko", "Dr. Nurlan Abdyldaev", "Mr. Daniyar Toktogulov", "Dr. Zhang Hua",
          "Ms. Gulnara Sydykova"]
ROLES = ["Vice Rector for Academic Affairs", "Programme Officer", "Executive Deputy Director", "Dean of Engineering",
         "Head of the International Office", "Director of the Digital Learning Centre"]
ORGS = ["UNESCO-ICHEI", "Kyrgyz National University", "KNU", "UNESCO", "the Ministry of Education and Science",
        "Southern University of Science and Technology", "CreateView Education Technology",
        "the International Centre for Higher Education Innovation under the auspices of UNESCO"]
PLACES = ["Bishkek", "Osh", "Shenzhen", "Almaty", "Karakol", "Beijing", "Tashkent", "Dushanbe"]
TOPICS = ["Smart Classroom", "digital transformation", "teacher training", "blended learning", "online courses",
          "open educational resources", "artificial intelligence in education", "quality assurance"]
SITES = ["https://ichei.example.org/news", "https://knu.example.kg/en/events", "https://example.org/report.pdf",
         "https://unesco.example.org/education/digital"]

SENTENCES = [
    "On {date}, {org} and {org2} signed an agreement on {topic} in {place}.",
    "{person}, {role} of {org}, said that {topic} is one of the top priorities for {year}.",
    "More than {n:,} teachers from {k} universities will take part in the programme.",
    "According to the report, {p}% of graduates found a job within {k} months.",
    "The {topic} project received {money} million dollars of funding from {org}.",
    "Registration is open at [{site_name}]({site}) until {date}.",
    "{person} presented the results of the **{topic}** pilot to {k} partner institutions.",
    "The new {topic} centre in {place} will open in {year} and serve about {n:,} students.",
    "Representatives of {org} discussed {topic} and staff training with {person}.",
    "Since {year}, {org} has trained {n:,} staff in {k} countries of Central Asia.",
    "The equipment of the {topic} lab will be shipped to {place} by the end of {year}.",
    "Participants visited the campus of {org2} and met {person}.",
    "{org} is a member of {k} international networks, including the Eurasian Universities Union.",
    "The workshop on {topic} was held online and attracted {n:,} participants from {place} and {place2}.",
    "Details are available in the annual report of {org} ({site}).",
    "Students can download the schedule from [the faculty website]({site}) or ask at the office in {place}.",
    "Prices for the training rose by {p}% in the second quarter, {person} noted.",
    "The conference will take place in {place} from {k} to {k2} September {year}.",
]
TITLES = ["{org} and {org2} launch {topic} programme", "{topic}: {k} universities join the network",
          "{person} visits {place}", "New {topic} centre opens in {place}",
          "Workshop on {topic} held in {place}"]


def _fill(template: str, rng: random.Random) -> str:
    org, org2 = rng.sample(ORGS, 2)
    place, place2 = rng.sample(PLACES, 2)
    k = rng.randint(2, 28)
    date = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 2500))
    values = {
        "org": org, "org2": org2, "place": place, "place2": place2, "person": rng.choice(PEOPLE),
        "role": rng.choice(ROLES), "topic": rng.choice(TOPICS), "year": rng.randint(2015, 2030),
        "n": rng.randint(100, 25000), "k": k, "k2": k + rng.randint(1, 3), "p": rng.randint(5, 95),
        "money": f"{rng.randint(1, 90)}.{rng.randint(0, 9)}", "site": rng.choice(SITES),
        "site_name": rng.choice(["the registration page", "the portal", "this form"]),
        "date": f"{date:%B} {date.day}, {date.year}",
    }
    text = template.format(**values)
    return text[0].upper() + text[1:]


def build_article(index: int, rng: random.Random, short: bool = False) -> str:
    """One article (front matter and Markdown); ``short``: one paragraph of one sentence."""
    title = _fill(rng.choice(TITLES), rng)
    date = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 2500))
    summary = _fill(rng.choice(SENTENCES), rng)
    paragraphs = []
    for p in range(1 if short else rng.randint(3, 5)):
        if p == 2 and rng.random() < 0.3:
            paragraphs.append(f"## About {rng.choice(ORGS).removeprefix('the ')}")
        count = 1 if short else rng.randint(1, 3)
        paragraphs.append(" ".join(_fill(rng.choice(SENTENCES), rng) for _ in range(count)))
    summary_line = summary.replace('"', "'")
    title_line = title.replace('"', "'")
    return (f'---\ntitle: "{title_line}"\ndate: {date.isoformat()}\nsummary: "{summary_line}"\n'
            f"tags: [news, bench]\n---\n\n" + "\n\n".join(paragraphs) + "\n")


def write_corpus(folder: Path, articles: int, seed: int = 7, short: bool = False) -> list[Path]:
    """Write ``articles`` articles to ``folder`` (``news-00001.md``...); same seed, same files
    (and the first articles of a larger corpus are those of a smaller one)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for i in range(articles):
        path = folder / f"news-{i + 1:05d}.md"
        path.write_text(build_article(i, rng, short), encoding="utf-8")
        paths.append(path)
    return paths


_NUMBER = re.compile(r"\b(\d{2,})\b")


def _body_sentences(text: str) -> tuple[str, list[list[str]]]:
    head, sep, body = text.partition("\n---\n")
    lines = [[] if not line or line.startswith("#") else re.split(r"(?<=[.!?])\s+(?=[A-Z])", line)
             for line in body.split("\n")]
    return head + sep, lines


def edit_sentences(folder: Path, share: float, seed: int = 11) -> int:
    """Change exactly ``share`` of the body sentences (a number, as an editor fixing figures, or a few
    words); returns how many sentences changed."""
    rng = random.Random(seed)
    paths = sorted(folder.glob("*.md"))
    places = []
    for pi, path in enumerate(paths):
        _, lines = _body_sentences(path.read_text(encoding="utf-8"))
        places += [(pi, li, si) for li, line in enumerate(lines) for si in range(len(line))]
    chosen = sorted(rng.sample(places, max(1, round(share * len(places)))))
    for pi in sorted({c[0] for c in chosen}):
        text = paths[pi].read_text(encoding="utf-8")
        head, lines = _body_sentences(text)
        body = text[len(head):].split("\n")
        for _, li, si in (c for c in chosen if c[0] == pi):
            sentence = lines[li][si]
            if _NUMBER.search(sentence):
                lines[li][si] = _NUMBER.sub(lambda m: str(int(m.group(1)) + 1), sentence, count=1)
            else:
                lines[li][si] = sentence[:-1] + ", officials said" + sentence[-1]
            body[li] = " ".join(lines[li])
        paths[pi].write_text(head + "\n".join(body), encoding="utf-8")
    return len(chosen)
