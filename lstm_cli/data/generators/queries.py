"""`queries`: slot tagging of short English news-search queries (IOB2, four entity types).

    show me breaking news about the earthquake in chile from the ashford herald
    O    O  B-NEWSTYPE I-NEWSTYPE O B-KEYWORDS I-KEYWORDS I-KEYWORDS O O B-PROVIDER I-PROVIDER

A query is a template (below) whose slots are filled from lexicons. Entities are NEWSTYPE
("top stories"), SECTION ("home and garden"), PROVIDER ("cedar falls daily courier") and
KEYWORDS (people, companies and deals, events in places, topics). Some words change type with
context: section names are also topics ("business" in "the business section" vs "news about
business") and appear inside provider names ("ashford business journal"); "in", "of" and "to"
are inside KEYWORDS in "floods in kenya" but outside elsewhere; "news" may be NEWSTYPE or part of a
PROVIDER. Filler words ("please", "um", "today") are inserted at random. A keyword directly in front
of a NEWSTYPE is never a section name, so every tag is decidable from the words around it.
"""

from __future__ import annotations

import numpy as np

from lstm_cli.data.types import Example


def _entries(text: str) -> list[list[str]]:
    """Comma-separated lexicon entries, each split into words."""
    return [entry.split() for entry in text.split(",") if entry.strip()]


NEWSTYPES = _entries("""
news, breaking news, top news, top stories, top headlines, headlines, latest news,
latest headlines, trending news, trending stories, news stories, news articles, articles,
stories, reports, news reports, coverage, live coverage, in depth coverage, feature stories,
feature articles, updates, live updates, news updates, video reports, news videos,
breaking stories, exclusive reports, analysis, news analysis, investigative reports,
daily briefing, news briefs, news roundup, recaps, opinion pieces, photo galleries, podcasts
""")
SECTIONS = _entries("""
business, sports, politics, world, technology, tech, science, health, entertainment, travel,
style, opinion, arts, culture, food, real estate, home and garden, health and wellness, local,
national, education, money, markets, weather, lifestyle, books, music, movies, autos,
obituaries, crime, environment, fashion, personal finance, science and technology,
arts and culture, food and drink, religion, family, gaming, metro, letters
""")
TOWNS = _entries("""
ashford, bellmont, brookhaven, cedar falls, clearwater, crestview, dover, eastfield, elmwood,
fairview, glenwood, granite city, greenville, harbor springs, hillsboro, kingsport, lakeside,
lincoln park, maple ridge, marion, millbrook, northport, oakdale, pine bluff, riverside,
rockport, salem, shelby, silver lake, springdale, stillwater, westbury, willow creek,
ardmore, bayfield, bridgeton, camden, carver, chester, clifton, colby, dalton, easton,
elk grove, fulton, galena, hanover, harlan, hartwell, holbrook, hudson, jasper, kent,
laurel, lebanon, lenox, linden, logan, madison, medford, milton, monroe, morgan city,
newberry, norwood, ogden, olney, oxford, palmer, paris, pembroke, pike county, plainview,
quincy, red oak, ridgeway, rome, russell, sandpoint, seneca, sheldon, sidney, somerset,
sparta, sterling, sumner, taylor, troy, union city, vernon, waverly, weston, wheaton,
winfield, woodbury, york, big bend, blue springs, cold spring, coral bay, deer park,
eagle pass, fox lake, grand haven, green bay, high point, iron mountain, long beach,
north platte, port allen, rapid city, rock hill, saint clair, sandy hook, twin falls
""")
PAPER_NOUNS = _entries("""
times, herald, gazette, tribune, journal, post, record, chronicle, courier, observer, sentinel,
ledger, press, star, dispatch, examiner, register, reporter, review, bulletin, monitor, leader,
standard, argus, beacon, banner, enterprise, mirror, telegraph, independent, voice, messenger,
pilot, inquirer, democrat, citizen, guardian, signal, eagle, sun, tribune star, news leader,
ledger star, times union, news journal, press citizen, daily news, business journal
""")
OUTLETS = _entries("""
national courier, metro wire, pacific wire, continental press, city beat, evening standard,
morning call, weekly observer, global news network, world report, valley voice, coastal times,
prairie post, mountain news, river city radio, channel seven, channel four news, public radio,
capitol report, first edition, frontier dispatch, heartland herald, northern star, sunday mirror
""")
FIRST_NAMES = _entries("""
anna, adam, alice, ben, carla, chris, daniel, diana, elena, eric, fatima, frank, grace, hugo,
irene, ivan, james, jana, kevin, laura, leo, maria, mark, nina, omar, olivia, paul, priya,
rafael, rosa, sam, sara, tomas, uma, victor, wendy, yuki, zoe, ahmed, bianca, carlos, deepa,
emil, farah, george, hana, isaac, julia, kofi, lena, miguel, noor, oscar, petra, raj, sofia,
theo, vera, william, xavier, yara, zara, malik, ingrid, lucas, marta, nadia, pablo, rita, sven,
madison, logan, taylor, morgan, hudson, jasper, quincy, marion
""")
LAST_NAMES = _entries("""
adams, alvarez, baker, banda, becker, bianchi, brooks, carter, chen, costa, cruz, dahl,
diallo, dubois, evans, fischer, garcia, gomez, gupta, hansen, haddad, ito, jensen, kaplan,
kim, kowalski, kumar, larsen, lee, lopez, mendes, meyer, moreau, morales, murphy, nakamura,
nguyen, novak, okafor, olsen, park, patel, perez, petrov, quinn, ramos, reyes, rossi, sato,
schmidt, silva, singh, smith, sousa, tanaka, torres, turner, vargas, vogel, wagner, walsh,
weber, wilson, wong, yamada, young, zhang, ziegler, abara, bauer, castillo, duarte, farah,
holm, ivanova, jovanovic, keller, lindqvist, mwangi, nair, ortega, pereira, rahman, santos,
monroe, sterling, hanover, chester, kent, fulton, russell, sumner
""")
TITLES = _entries("""
president, prime minister, king, queen, foreign minister, finance minister, chancellor,
ambassador, governor, mayor, crown prince, health minister, defence minister
""")
COUNTRIES = _entries("""
chile, kenya, portugal, norway, japan, brazil, canada, mexico, peru, egypt, ghana, india,
nepal, vietnam, turkey, greece, ireland, poland, spain, italy, france, germany, sweden,
finland, denmark, austria, hungary, romania, ukraine, georgia, armenia, morocco, tunisia,
nigeria, ethiopia, tanzania, uganda, zambia, angola, argentina, colombia, ecuador, bolivia,
uruguay, cuba, jamaica, haiti, iceland, mongolia, thailand, indonesia, malaysia, singapore,
australia, new zealand, fiji, samoa, south korea, sri lanka, bangladesh, pakistan, qatar,
jordan, lebanon, cyprus, malta, estonia, latvia, lithuania, belgium, switzerland, south africa
""")
PLACES = COUNTRIES + _entries("""
north america, south america, central asia, east africa, west africa,
southeast asia, europe, asia, africa, the middle east, the caribbean, the balkans,
the arctic, scandinavia, tokyo, nairobi, lisbon, oslo, lima, cairo, hanoi, quito, dublin
""")
COMPANIES = _entries("""
novatech, brightpath, bluewave, cobalt systems, deltacore, evergreen foods, fieldstone,
globex, helix labs, ironclad, junction air, keystone bank, lumen, meridian motors, northwind,
orbital, pinecrest energy, quantix, redline, sapphire media, silverline, summit health,
tidewater, ultraviolet games, vanguard steel, westport shipping, yellowstone mining, zenith,
acme, apex robotics, atlas logistics, beacon pharma, cascade, crescent telecom, driftwood,
emberly, falcon aerospace, granite capital, harbor freight lines, indigo, jetstream, kinetic,
lighthouse insurance, maplesoft, nimbus cloud, oakridge, paragon, quill, riverstone,
solaris, terra verde, unity rail, vertex, willowbrook, xenon chips, yardley, zephyr
""")
DEALS = _entries("""
merger, acquisition, layoffs, earnings, ipo, lawsuit, recall, buyout, bankruptcy,
stock split, data breach, product launch, strike, expansion, shareholder vote
""")
EVENTS = _entries("""
earthquake, wildfire, wildfires, floods, flooding, hurricane, tornado, train crash, plane crash,
protests, elections, strike, heat wave, drought, snowstorm, landslide, volcanic eruption,
power outage, bridge collapse, oil spill, refugee crisis, peace talks, trade summit,
chemical spill, bus accident, riots, ceasefire, festival, marathon, election results,
measles outbreak, cyclone, avalanche, food shortage, water crisis, record heat, record rainfall,
star sightings, press freedom protests
""")
TOPICS = _entries("""
inflation, unemployment, interest rates, climate change, housing prices, minimum wage,
cryptocurrency, artificial intelligence, vaccines, immigration, tax reform, gun control,
renewable energy, electric cars, space exploration, student loans, health care, tariffs,
oil prices, gas prices, the stock market, the housing market, supply chains, cybersecurity,
social media, privacy, the olympics, the world cup, nuclear power, public transit,
drug prices, obesity, sleep, coffee, wine, gardening, chess, tennis, golf, cycling, basketball,
soccer, baseball, hockey, marathons, dinosaurs, black holes, mars, the moon, bees, whales,
fake news, local news, the sun, star wars, the post office, world records, the times square ball
""")
SECTION_TOPICS = _entries("""
business, politics, sports, health, technology, science, travel, education, fashion, music,
weather, crime, food, money, markets, real estate, religion, movies, books, environment
""")
ASKS = _entries("""
show me, find, find me, get me, give me, i want, i want to read, i want to see,
i would like to read, i would like to see, i d like to read, i d love to read, can you show me,
can you find, could you find me, please show me, let me see, let me read, pull up, bring up,
open, search for, look for, look up, i need, i need to read, i am looking for, i m looking for,
do you have, are there any, is there any, tell me, read me, display, i wanna see, i wanna read,
check, i d like to see, could you pull up, can i get
""")
ABOUTS = _entries("""
about, on, regarding, concerning, covering, related to, relating to, dealing with, focused on,
focusing on, that mention, mentioning, that talk about, talking about, involving, centered on,
pertaining to, linked to, that discuss, discussing, with a focus on, that cover
""")
FROMS = _entries("from, from the, in, in the, by, by the, published in, published in the, "
                 "published by, published by the, according to, according to the, on, on the")
SECTION_PHRASES = _entries("""
in the # section, from the # section, in the # page, on the # page, under #, in #,
from the # desk, in the # pages, in the # part
""")
SAYS = _entries("says, reports, wrote, is saying, has, published, is reporting, ran")
TIMES = _entries("""
today, this morning, tonight, this week, this weekend, this month, yesterday, from yesterday,
from last night, right now, lately, recently, so far today, from the past week,
over the past few days, for this week, from this morning
""")
FILLERS = _entries("please, uh, um, hmm, just, now, quickly, again, actually, okay, real quick, "
                   "if possible, thanks, thank you, ok, hey")

TEMPLATES = [template.split() for template in """
{ask} {nt} {about} {kw}
{ask} {nt} {about} {kw} {src}
{ask} {nt} {src} {about} {kw}
{ask} {nt} {src}
{kwf} {nt}
{kwf} {nt} {src}
{nt} {about} {kw}
{nt} {about} {kw} {sec}
{ask} the {section} section {src}
{ask} the {section} section
{ask} {section} {nt}
{ask} {section} {nt} {about} {kw}
{provider} {section} {nt}
{ask} {provider} {nt} {about} {kw}
what does the {provider} say about {kw}
{ask} what the {provider} {says} about {kw}
{ask} {nt} {sec} {src}
{ask} {nt} {sec} {about} {kw}
{ask} {nt} {about} {kw} {sec}
{ask} about {kw}
{ask} about {kw} {src}
{kwf} {src}
{ask} {nt}
{section} {nt} {src}
any {nt} {about} {kw}
{ask} {kwf} {nt} {sec}
{ask} {nt} {about} {kw} and {kw}
{ask} the {provider} {nt} {about} {kw}
{ask} the latest from the {provider}
{kwf} {nt} {sec}
{ask} {nt} {about} {kw} {src} {sec}
{ask} {nt} {src} {sec}
""".strip().splitlines()]


def generate_queries(rng: np.random.Generator, size: int) -> list[Example]:
    """`size` tagged queries drawn with `rng`; sources are `queries:<i>`."""
    return [_query(rng, f"queries:{i + 1}") for i in range(size)]


def _query(rng: np.random.Generator, source: str) -> Example:
    template = TEMPLATES[rng.integers(len(TEMPLATES))]
    tokens: list[str] = []
    labels: list[str] = []
    for slot in template:
        words, tags = _fill(slot, rng)
        tokens += words
        labels += tags
    if rng.random() < 0.25:
        tokens += _pick(TIMES, rng)
    while len(tokens) > len(labels):
        labels.append("O")
    if rng.random() < 0.2:
        filler = _pick(FILLERS, rng)
        at = [0, len(tokens)][rng.integers(2)]
        tokens[at:at] = filler
        labels[at:at] = ["O"] * len(filler)
    return Example(tokens=tokens, labels=labels, source=source)


def _fill(slot: str, rng: np.random.Generator) -> tuple[list[str], list[str]]:
    """The words and tags of one template slot (a literal word is tagged O)."""
    if slot == "{src}":
        words = _pick(FROMS, rng)
        provider, tags = _fill("{provider}", rng)
        return words + provider, ["O"] * len(words) + tags
    if slot == "{sec}":
        phrase = _pick(SECTION_PHRASES, rng)
        at = phrase.index("#")
        section = _pick(SECTIONS, rng)
        return (phrase[:at] + section + phrase[at + 1:],
                ["O"] * at + _tags(section, "SECTION") + ["O"] * (len(phrase) - at - 1))
    fillers = {"{ask}": ASKS, "{about}": ABOUTS, "{says}": SAYS}
    if slot in fillers:
        words = _pick(fillers[slot], rng)
        return words, ["O"] * len(words)
    entities = {"{nt}": (_newstype, "NEWSTYPE"), "{section}": (_section, "SECTION"),
                "{provider}": (_provider, "PROVIDER"), "{kw}": (_keywords, "KEYWORDS"),
                "{kwf}": (_front_keywords, "KEYWORDS")}
    if slot in entities:
        make, kind = entities[slot]
        words = make(rng)
        return words, _tags(words, kind)
    return [slot], ["O"]


def _newstype(rng: np.random.Generator) -> list[str]:
    return _pick(NEWSTYPES, rng)


def _section(rng: np.random.Generator) -> list[str]:
    return _pick(SECTIONS, rng)


def _provider(rng: np.random.Generator) -> list[str]:
    kind = rng.random()
    if kind < 0.15:
        return _pick(OUTLETS, rng)
    daily = ["daily"] if kind < 0.35 else []
    return _pick(TOWNS, rng) + daily + _pick(PAPER_NOUNS, rng)


def _person(rng: np.random.Generator) -> list[str]:
    return _pick(FIRST_NAMES, rng) + _pick(LAST_NAMES, rng)


def _official(rng: np.random.Generator) -> list[str]:
    return _pick(TITLES, rng) + ["of"] + _pick(COUNTRIES, rng)


def _visit(rng: np.random.Generator) -> list[str]:
    visitor = _person(rng) if rng.random() < 0.5 else _official(rng)
    return visitor + ["visit", "to"] + _pick(PLACES, rng)


def _deal(rng: np.random.Generator) -> list[str]:
    kind = rng.integers(3)
    if kind == 0:
        return _pick(COMPANIES, rng) + _pick(DEALS, rng)
    joint = ["merger", "with"] if kind == 1 else ["acquisition", "of"]
    return _pick(COMPANIES, rng) + joint + _pick(COMPANIES, rng)


KEYWORD_KINDS = [  # (weight, maker)
    (3, _person),
    (1, _official),
    (2, _visit),
    (1, lambda rng: _pick(COMPANIES, rng)),
    (2, _deal),
    (3, lambda rng: _pick(EVENTS, rng) + ["in"] + _pick(PLACES, rng)),
    (2, lambda rng: _pick(SECTION_TOPICS, rng)),
    (2, lambda rng: _pick(TOPICS, rng)),
    (1, lambda rng: _pick(PLACES, rng)),
]
_KEYWORD_WEIGHTS = np.array([weight for weight, _ in KEYWORD_KINDS]) / sum(
    weight for weight, _ in KEYWORD_KINDS)


def _keywords(rng: np.random.Generator) -> list[str]:
    return KEYWORD_KINDS[rng.choice(len(KEYWORD_KINDS), p=_KEYWORD_WEIGHTS)][1](rng)


def _front_keywords(rng: np.random.Generator) -> list[str]:
    """Keywords that may stand right before a NEWSTYPE: never a section name."""
    words = _keywords(rng)
    while words in SECTION_TOPICS:
        words = _keywords(rng)
    return words


def _pick(entries: list[list[str]], rng: np.random.Generator) -> list[str]:
    return list(entries[rng.integers(len(entries))])


def _tags(words: list[str], kind: str) -> list[str]:
    return [f"B-{kind}"] + [f"I-{kind}"] * (len(words) - 1)
