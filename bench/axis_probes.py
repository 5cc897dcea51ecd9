# ruff: noqa: E501 -- probe texts are data; one probe per line reads best
"""Hand-written probes for the built-in ``axis`` topic: paraphrases, distractors, odd shapes.

Written by the newswatch team (no outlet's text). They stand in for the judges' held-out set:
the same kind of news, but phrased with words the dev file may never use. Each family is one
failure class a reader would recognise ("gas deal at a summit", "headline only", ...).

Every probe gets a split: ``tune`` probes may be read while improving the method, ``check``
probes are only counted, so the ``check`` figures stay an honest estimate of held-out quality.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SEED = 7
PER_TEMPLATE_FAMILY = 24


@dataclass(frozen=True)
class Probe:
    family: str
    title: str
    summary: str
    label: int
    split: str = "tune"


SUPPLIERS = {
    "Iran": ["Iran", "Tehran", "the IRGC", "Iranian firms"],
    "NK": ["North Korea", "Pyongyang", "the DPRK", "Kim Jong Un's regime"],
    "China": ["China", "Beijing", "Chinese companies", "Chinese suppliers"],
}
RECIPIENTS = ["Russia", "Moscow", "the Kremlin", "Russian forces", "Russia's army"]
ITEMS = {
    "Iran": [
        "Shahed-136 drones", "Shahed-238 jet-powered drones", "Mohajer-6 drones", "Arash-2 drones",
        "Fath-360 missiles", "Ababil ballistic missiles", "Zolfaghar missiles", "Fateh-110 missiles",
        "artillery ammunition", "glide bombs", "loitering munitions",
    ],
    "NK": [
        "152mm shells", "122mm rockets", "KN-23 ballistic missiles", "KN-24 missiles",
        "Hwasong-11 missiles", "Koksan self-propelled guns", "240mm rocket launchers",
        "Bulsae anti-tank missiles", "millions of artillery rounds", "howitzers",
    ],
    "China": [
        "drone engines", "machine tools", "microchips", "nitrocellulose for gunpowder",
        "thermal imaging cameras", "Garpiya-3 drones", "navigation modules",
        "ball bearings for tanks", "satellite imagery", "semiconductors",
    ],
}
VERBS = [
    "shipped", "delivered", "supplied", "sent", "handed over", "funnelled", "smuggled",
    "ferried", "dispatched", "airlifted", "transferred", "provided", "sold", "rushed",
    "quietly moved", "exported",
]
RECEIVE_PATTERNS = [
    "{recipient} receives {item} from {supplier}",
    "{recipient} acquires {item} from {supplier}",
    "{recipient} buys {item} from {supplier}",
    "{recipient} procured {item} from {supplier}, officials say",
    "{item} from {supplier} reach Russian front lines",
    "{recipient} now relies on {item} made by {supplier}",
]
SOURCES = [
    "US officials said.", "according to Ukraine's military intelligence.", "a think tank found.",
    "Seoul's spy agency told lawmakers.", "leaked documents show.", "the EU said in a statement.",
]

# Each family: (family, label, [(title, summary), ...]); written out because the wording is
# the point of the probe.
WRITTEN: list[tuple[str, int, list[tuple[str, str]]]] = [
    ("pos:troops-personnel", 1, [
        ("Seoul says North Korean soldiers are fighting in Kursk", "Thousands of troops from the DPRK joined Russian units, the NIS said."),
        ("Kim sends thousands of soldiers to help Putin", ""),
        ("Pyongyang's engineers deployed to occupied Donetsk", "North Korean military engineers will help rebuild infrastructure for Moscow, officials said."),
        ("Iranian instructors train Russian drone crews in Crimea", "The advisers are teaching Russian units to launch attack drones at Ukrainian cities."),
        ("Ukraine captures two North Korean fighters in Kursk region", "Zelensky said the wounded men were being questioned by the SBU."),
        ("North Korean casualties mount on Russia's front line", "Ukrainian drones are inflicting heavy losses on Pyongyang's troops, Kyiv says."),
        ("Kim Jong Un honours soldiers killed fighting for Russia", ""),
        ("North Korea to send more troops to Russia, Seoul warns", "South Korea's military said a new rotation was being prepared."),
    ]),
    ("pos:pacts-summits", 1, [
        ("Putin and Kim sign mutual assistance treaty", "The pact obliges each side to come to the other's aid if attacked."),
        ("Russia and Iran seal 20-year strategic partnership", "The agreement covers defence cooperation, intelligence sharing and joint exercises."),
        ("Shoigu in Pyongyang for talks on military cooperation", "Russia's security council secretary met Kim Jong Un."),
        ("Kim arrives in Russia by armoured train for talks with Putin", "Weapons for the war in Ukraine are expected to top the agenda."),
        ("Lavrov hails 'new era' of Moscow-Pyongyang military ties", ""),
        ("Belousov visits Tehran to deepen defence ties", "The Russian defence minister discussed arms purchases with Iranian officials."),
        ("Russia ratifies defence treaty with North Korea", "The Duma approved the pact, which includes a mutual defence clause."),
        ("Putin thanks Kim for North Korean help on the battlefield", ""),
    ]),
    ("pos:sanctions-accusations", 1, [
        ("Treasury blacklists Chinese suppliers of Russia's drone programme", "The firms sold engines and parts used in Russian attack drones."),
        ("Zelensky accuses Beijing of supplying gunpowder to Moscow", "Kyiv says Chinese companies sent artillery powder and machine tools to Russia."),
        ("Kremlin denies firing North Korean missiles at Ukraine", "Peskov rejected the claim as Ukrainian propaganda."),
        ("G7 warns Iran of 'swift' response over missile transfers to Russia", ""),
        ("EU lists Chinese firms in new Russia sanctions package", "The companies are accused of supplying dual-use goods to Russia's military industry."),
        ("UK sanctions ships that carried North Korean munitions to Russia", "The vessels moved containers of ammunition between Rajin and Vostochny port."),
        ("Washington says Tehran helped Russia build drone factory", "The White House released satellite images of the Alabuga site in Tatarstan."),
        ("Japan and South Korea condemn Pyongyang's arms trade with Moscow", "The two governments said the transfers violate UN resolutions."),
    ]),
    ("pos:production-alabuga", 1, [
        ("Russia doubles output of Iranian-designed drones at Alabuga", "The Tatarstan plant now assembles thousands of Geran-2 drones a year."),
        ("Inside the Alabuga drone plant where students build Shaheds", "Teenagers are assembling the Iranian-designed drones for Russia."),
        ("Russia's Geran drones now built almost entirely at home, with Iranian design", ""),
        ("Iranian engineers help Russia make jet-powered Shahed copies", "The Geran-3 is based on Iran's Shahed-238, Ukrainian intelligence says."),
        ("North Korea helps Russia expand artillery shell production", "Pyongyang sent machinery and technicians to Russian munitions plants."),
        ("Chinese machine tools keep Russia's missile factories running", "Imports of Chinese CNC machines doubled since the invasion."),
    ]),
    ("neg:energy-trade-deal", 0, [
        ("Russia and China sign gas deal on the sidelines of Beijing summit", ""),
        ("Putin and Xi agree to push ahead with Power of Siberia 2 pipeline", "The leaders discussed gas exports, trade in yuan and new rail links."),
        ("China's imports of Russian crude hit record despite Western sanctions", "Chinese refiners bought more discounted oil from Russia in August."),
        ("Iran and Russia agree gas swap deal at Tehran summit", "Gazprom will supply gas to Iran through Azerbaijan under the agreement."),
        ("Russia-China trade tops $240 billion as car exports surge", "Chinese carmakers sold record numbers of vehicles to Russian buyers."),
        ("Russia delivers grain to North Korea as food shortages bite", "Moscow sent wheat and flour to Pyongyang by rail, state media said."),
        ("Iran buys Russian wheat in barter deal", "Tehran will pay for the grain supplies partly with fruit and vegetables."),
        ("Russia and Iran sign deal on North-South transport corridor", "The railway will link the Caspian Sea to Iran's ports on the Gulf."),
        ("China and Russia agree to boost LNG deliveries", "Novatek will supply more liquefied natural gas to Chinese buyers."),
        ("Russian tourists return to North Korea's ski resort", "The first group of tourists from Vladivostok arrived at Masikryong."),
    ]),
    ("neg:iran-china-nk-trade", 0, [
        ("Iran's oil exports to China reach five-year high", "Chinese teapot refineries are buying Iranian crude at a discount."),
        ("North Korea-China trade rebounds after border reopens", "Trade between Pyongyang and Beijing rose 40% in the first half."),
        ("China and Iran sign 25-year cooperation pact", "The deal covers investment in Iranian oil, gas and infrastructure."),
        ("Beijing hosts North Korean trade delegation", "Officials discussed food supplies and fertiliser shipments."),
    ]),
    ("neg:nuclear-space-civil", 0, [
        ("Rosatom and Iran agree to build new units at Bushehr nuclear plant", "Russia's state nuclear company will supply fuel for the reactors."),
        ("Iran and Russia discuss nuclear deal revival at Vienna talks", "Russian envoy Ulyanov said the IAEA should resume inspections."),
        ("Russia and China plan joint lunar research station", "Roscosmos and the China National Space Administration signed a memorandum."),
    ]),
    ("neg:unrelated-sanctions", 0, [
        ("US sanctions Russian officials over Navalny's death", "China criticised the move as interference in Russia's internal affairs."),
        ("EU extends sanctions on Russian oligarchs; Iran election results due", ""),
        ("Russia bans Chinese tea imports citing safety rules", "Rosselkhoznadzor blocked shipments from three suppliers."),
        ("China sanctions US defence firms over Taiwan arms sales", "Beijing said Lockheed Martin and Raytheon units would be blacklisted."),
        ("Iran sanctions EU officials over human rights criticism", "Tehran's foreign ministry blacklisted several European officials."),
    ]),
    ("neg:ukraine-own-and-russia-own", 0, [
        ("Ukraine ramps up production of its own long-range drones", "Domestic factories now build tens of thousands of attack drones a month."),
        ("Russia unveils upgraded Lancet loitering munition", "Zala Aero said the new version has a longer range."),
        ("Russia fires Iskander missiles at Kharkiv", "Ukrainian officials said three people were killed."),
        ("Ukraine's drone makers struggle to source parts", "Kyiv's manufacturers compete for motors and batteries on world markets."),
        ("Russia boosts Kalibr cruise missile production", "The defence ministry said output tripled this year."),
    ]),
    ("neg:iran-proxies", 0, [
        ("Houthis launch Iranian-made drones at ships in the Red Sea", "The rebels use Shahed-type drones supplied by Tehran."),
        ("Israel says Hezbollah fired Iranian rockets from Lebanon", "The IDF struck launchers near the border."),
        ("Iranian drones found in Sudan's civil war", "Satellite images show Mohajer-6 drones at an airbase used by the army."),
        ("Venezuela shows off Iranian-designed drones at parade", "Caracas displayed drones built with help from Tehran."),
    ]),
    ("neg:nk-cyber-tests", 0, [
        ("North Korean hackers stole $600 million in crypto to fund weapons, UN says", "The Lazarus group targeted exchanges in Asia."),
        ("North Korea fires ballistic missile toward Japan", "Pyongyang's launch came a week after Kim returned from Russia."),
        ("North Korea test-fires new solid-fuel ICBM", "The missile flew for 70 minutes before landing in the sea."),
        ("Kim oversees test of 'super-large' rocket launchers", "State media said the drill simulated a nuclear counterattack on the South."),
        ("North Korean IT workers used fake identities to get US jobs", "The FBI said the money funded Pyongyang's weapons programmes."),
    ]),
    ("neg:china-taiwan-us", 0, [
        ("China sends warships and drones around Taiwan", "Taipei said 30 aircraft crossed the median line."),
        ("US tightens chip export controls on China", "Nvidia will be barred from selling advanced processors to Chinese firms."),
        ("China's drone makers dominate global market", "DJI sells most of the world's consumer drones."),
    ]),
]

# Written after the method was final and measured once: all in the check split.
FRESH: list[tuple[str, int, list[tuple[str, str]]]] = [
    ("fresh:pos", 1, [
        ("Moscow's new arsenal: how Tehran's drones changed the air war", "Iranian-designed attack drones now make up most of Russia's long-range strikes."),
        ("Satellite photos show North Korean munitions trains at Russian border", "Analysts counted hundreds of freight cars heading to depots near Tikhonkaya."),
        ("Ukraine finds Chinese-made parts in downed Russian cruise missile", "Investigators listed chips and connectors from several Chinese producers."),
        ("Iran's defence minister in Moscow for talks on missile sales", ""),
        ("Pyongyang confirms soldiers died fighting for Russia", "State media praised the troops who fell in the Kursk battles."),
        ("Britain blacklists Iranian airline over missile shipments to Russia", "Iran Air was sanctioned for flying weapons to Russian airfields."),
        ("Beijing rejects US claim it arms Moscow", "China's foreign ministry called the accusation groundless and said it does not supply weapons to either side."),
        ("North Korean artillery now fires a third of Russia's shells, Kyiv estimates", ""),
        ("Kremlin and Tehran finalise deal for Iranian ballistic missiles, sources say", "The agreement covers several hundred Fath-360 missiles."),
        ("Russia to share space and missile know-how with Pyongyang in return for munitions", ""),
    ]),
    ("fresh:neg", 0, [
        ("Iran and Russia hold talks on Caspian Sea shipping", "Officials discussed port fees and cargo volumes between Astrakhan and Bandar Anzali."),
        ("Chinese electric cars flood Russian market", "BYD and Geely sold record numbers of vehicles to Russian drivers."),
        ("North Korea parades new drones before Kim", "The unmanned aircraft flew over Kim Il Sung Square during the anniversary parade."),
        ("Russia and Iran sign wheat and fertiliser deal", "Exports of grain to Iran will rise under the agreement."),
        ("Russian drones hit Odesa grain terminal", "Ukraine said Russia launched 25 drones overnight, damaging silos."),
        ("China and Russia joint bomber patrol near Japan", "Tokyo scrambled jets as Chinese and Russian bombers flew over the Sea of Japan."),
        ("Iran seizes oil tanker in Strait of Hormuz", "The IRGC navy said the vessel was smuggling fuel."),
        ("Putin hosts Xi for talks on trade and energy", "The leaders discussed gas supplies and payments in yuan."),
        ("North Korean defector says regime starves soldiers", "The former officer told Seoul reporters that troops receive half rations."),
        ("Russian hackers target Ukraine's power grid, Microsoft says", "The attacks used malware linked to Sandworm."),
    ]),
]

LONG_HTML_FILLER = (
    "<p>Markets were mixed on Wednesday as investors awaited inflation data. "
    "The central bank is expected to hold rates.</p>"
    "<p>In sport, the national team won its qualifier 2-0 with two late goals.</p>"
    "<p>Weather: heavy rain is forecast for the weekend in the north.</p>"
    '<figure><img src="photo.jpg" alt="A photo"/><figcaption>Photo: agency</figcaption></figure>'
)


def _templated(rng: random.Random) -> list[Probe]:
    """Transfer-verb and weapon-name paraphrases, headline-only and long-HTML variants."""
    probes: list[Probe] = []
    for actor, suppliers in SUPPLIERS.items():
        for _ in range(PER_TEMPLATE_FAMILY):
            supplier, item = rng.choice(suppliers), rng.choice(ITEMS[actor])
            if rng.random() < 0.6:
                title = f"{supplier} {rng.choice(VERBS)} {item} to {rng.choice(RECIPIENTS)}"
            else:
                pattern = rng.choice(RECEIVE_PATTERNS)
                title = pattern.format(recipient=rng.choice(RECIPIENTS), item=item, supplier=supplier)
            title = title[0].upper() + title[1:]
            summary = f"The deliveries are for the war in Ukraine, {rng.choice(SOURCES)}"
            probes.append(Probe(f"pos:transfer-{actor}", title, summary, 1))
            probes.append(Probe("pos:headline-only", title, "", 1))
            long_summary = (
                f"<div>{LONG_HTML_FILLER}<p>{title}, {rng.choice(SOURCES)}</p>{LONG_HTML_FILLER}</div>"
            )
            probes.append(Probe("pos:long-html", title.split(" to ")[0] + " - live updates", long_summary, 1))
    roundup_pairs = [
        ("North Korea test-fires cruise missiles off its east coast.", "Russia's central bank raises rates to defend the rouble."),
        ("Iran's parliament debates a new hijab law.", "Russian forces shell Kherson overnight."),
        ("China's exports fall for a fourth month.", "Ukraine says it downed 20 Russian drones."),
        ("Iran holds air defence drills near Isfahan.", "Russia's Wagner group mourns its founder."),
    ]
    for first, second in roundup_pairs:
        summary = f"<div><p>{first}</p>{LONG_HTML_FILLER}{LONG_HTML_FILLER}<p>{second}</p></div>"
        probes.append(Probe("neg:long-roundup", "World news briefing", summary, 0))
    return probes


def probes() -> list[Probe]:
    """All probes with a fixed split: every second probe of a family is held back for checking."""
    rng = random.Random(SEED)
    raw = _templated(rng) + [
        Probe(family, title, summary, label)
        for family, label, items in WRITTEN + FRESH
        for title, summary in items
    ]
    seen: dict[str, int] = {}
    out: list[Probe] = []
    for probe in raw:
        index = seen.get(probe.family, 0)
        seen[probe.family] = index + 1
        split = "tune" if index % 2 == 0 and not probe.family.startswith("fresh") else "check"
        out.append(Probe(probe.family, probe.title, probe.summary, probe.label, split))
    return out
