"""The symptom catalogue (shared/clinical/REFERENCE.md, "The catalogue").

Pure data: the engine, the models, the forms and the templates all read it, so
an item is described once. Keys are part of the vignette format; do not rename.
Questions are the project's own plain wording, not questionnaire text.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# Kinds of answer.
SCORE = "score"  # 0-4 on a PRO-CTCAE attribute scale
COUNT = "count"  # stools in the last 24 hours
WELLBEING = "wellbeing"  # 0-10, 10 best
TEMPERATURE = "temperature"  # degrees Celsius, optional
YESNO = "yesno"

# Classes: which rules of rule set v1 apply.
STANDARD = "standard"  # R6-R8
CRITICAL = "critical"  # R9-R10
COUNTED = "counted"  # against baseline: R1-R2 (stools), R13 (wellbeing)
ABSOLUTE = "absolute"  # R11-R12 (temperature)
RED_FLAG = "red_flag"  # R3 (and R4 for chest pain)
AMBER_FLAG = "amber_flag"  # R5

SEVERITY_LABELS = ("None", "Mild", "Moderate", "Severe", "Very severe")
FREQUENCY_LABELS = ("Never", "Rarely", "Occasionally", "Frequently", "Almost constantly")
RASH_LABELS = (
    "None",
    "A small patch",
    "Larger areas",
    "Most of the body",
    "Most of the body, very troublesome",
)

# Temperatures a home thermometer can plausibly read on a living person.
TEMPERATURE_MIN = Decimal("32.0")
TEMPERATURE_MAX = Decimal("44.0")
STOOLS_MAX = 50


@dataclass(frozen=True)
class Item:
    key: str
    kind: str
    cls: str
    area: str  # body area the patient's form groups it under
    label: str  # short name, for clinicians and tables
    question: str  # what the patient is asked (translated: British English by default)
    system: str  # likely immune-related adverse event, for clinicians
    choices: tuple[str, ...] = SEVERITY_LABELS

    @property
    def has_baseline(self) -> bool:
        """Yes/no items and the temperature have no baseline (REFERENCE.md)."""
        return self.kind in (SCORE, COUNT, WELLBEING)

    @property
    def bounds(self) -> tuple[int, int] | tuple[Decimal, Decimal] | None:
        if self.kind == SCORE:
            return (0, 4)
        if self.kind == COUNT:
            return (0, STOOLS_MAX)
        if self.kind == WELLBEING:
            return (0, 10)
        if self.kind == TEMPERATURE:
            return (TEMPERATURE_MIN, TEMPERATURE_MAX)
        return None

    def display(self, value) -> str:
        """A value as a clinician reads it: '3 (severe)', '7/day', '38.2 °C', 'yes'."""
        if value is None:
            return "not answered"
        if self.kind == SCORE:
            return f"{value} ({self.choices[int(value)].lower()})"
        if self.kind == COUNT:
            return f"{value}/day"
        if self.kind == WELLBEING:
            return f"{value}/10"
        if self.kind == TEMPERATURE:
            return f"{Decimal(str(value)):.1f} °C"
        return "yes" if value else "no"


def _score(key, cls, area, label, question, system, choices=SEVERITY_LABELS):
    return Item(key, SCORE, cls, area, label, question, system, choices)


def _flag(key, cls, area, label, question, system):
    return Item(key, YESNO, cls, area, label, question, system, ("No", "Yes"))


# Body areas. The British wording is also the key (its slug names the area in the
# form); pages show it translated, with gettext(area), at render time.
BOWEL, GUT, MOUTH_SKIN, CHEST, HEAD, BODY, MOOD, GENERAL, WARNING = (
    gettext_noop("Bowels and tummy"),
    gettext_noop("Eating and sickness"),
    gettext_noop("Mouth and skin"),
    gettext_noop("Breathing and heart"),
    gettext_noop("Head and eyes"),
    gettext_noop("Muscles and joints"),
    gettext_noop("Mood"),
    gettext_noop("How you are overall"),
    gettext_noop("Warning signs"),
)

ITEMS: tuple[Item, ...] = (
    Item(
        "stools_per_day",
        COUNT,
        COUNTED,
        BOWEL,
        "Stools",
        _("How many times have you opened your bowels in the last 24 hours?"),
        "bowel (colitis)",
        (),
    ),
    _score(
        "abdominal_pain", CRITICAL, BOWEL, "Tummy pain", _("Pain in your tummy"), "bowel (colitis)"
    ),
    _score("nausea", STANDARD, GUT, "Nausea", _("Feeling sick (nausea)"), "gut"),
    _score(
        "vomiting",
        STANDARD,
        GUT,
        "Vomiting",
        _("How often have you been sick?"),
        "gut",
        FREQUENCY_LABELS,
    ),
    _score(
        "appetite_loss",
        STANDARD,
        GUT,
        "Appetite loss",
        _("Not wanting to eat"),
        "gut / endocrine",
    ),
    _score(
        "mouth_sores", STANDARD, MOUTH_SKIN, "Mouth sores", _("Sore mouth or mouth ulcers"), "mouth"
    ),
    _score("rash", STANDARD, MOUTH_SKIN, "Rash", _("Rash on your skin"), "skin", RASH_LABELS),
    _score("itching", STANDARD, MOUTH_SKIN, "Itching", _("Itchy skin"), "skin"),
    _score(
        "fatigue",
        STANDARD,
        GENERAL,
        "Fatigue",
        _("Tiredness or lack of energy"),
        "general / endocrine",
    ),
    _score("cough", STANDARD, CHEST, "Cough", _("Cough"), "lung (pneumonitis)"),
    _score(
        "shortness_of_breath",
        CRITICAL,
        CHEST,
        "Shortness of breath",
        _("Being short of breath"),
        "lung (pneumonitis), heart",
    ),
    _score(
        "palpitations",
        CRITICAL,
        CHEST,
        "Palpitations",
        _("Heart racing or pounding"),
        "heart (myocarditis), thyroid",
    ),
    _score(
        "headache", CRITICAL, HEAD, "Headache", _("Headache"), "pituitary (hypophysitis), brain"
    ),
    _score(
        "vision_change",
        CRITICAL,
        HEAD,
        "Vision change",
        _("Blurred eyesight, sore eyes or eyes bothered by light"),
        "eye (uveitis), pituitary",
    ),
    _score(
        "dizziness",
        CRITICAL,
        HEAD,
        "Dizziness",
        _("Feeling dizzy or light-headed"),
        "heart, adrenal",
    ),
    _score(
        "muscle_weakness",
        CRITICAL,
        BODY,
        "Muscle weakness",
        _("Weak or aching muscles, drooping eyelids or seeing double"),
        "muscle / nerve (myositis, myasthenia)",
    ),
    _score(
        "joint_pain",
        STANDARD,
        BODY,
        "Joint pain",
        _("Painful or stiff joints"),
        "joints (arthritis)",
    ),
    _score("anxiety", STANDARD, MOOD, "Anxiety", _("Feeling worried or on edge"), "mood"),
    _score("low_mood", STANDARD, MOOD, "Low mood", _("Feeling low or sad"), "mood"),
    Item(
        "wellbeing",
        WELLBEING,
        COUNTED,
        GENERAL,
        "Wellbeing",
        _("Overall, how well do you feel today? (0 = very unwell, 10 = completely well)"),
        "general",
        (),
    ),
    Item(
        "temperature_c",
        TEMPERATURE,
        ABSOLUTE,
        GENERAL,
        "Temperature",
        _("Your temperature, if you have taken it"),
        "infection / cytokine release",
        (),
    ),
    _flag(
        "chest_pain",
        RED_FLAG,
        WARNING,
        "Chest pain",
        _("Pain or tightness in your chest"),
        "heart, lung",
    ),
    _flag(
        "stool_blood_or_mucus",
        RED_FLAG,
        WARNING,
        "Blood or mucus in stools",
        _("Blood or slime (mucus) in your poo"),
        "bowel (colitis)",
    ),
    _flag(
        "yellow_skin_or_eyes",
        RED_FLAG,
        WARNING,
        "Yellow skin or eyes",
        _("Yellowing of your skin or the whites of your eyes"),
        "liver (hepatitis)",
    ),
    _flag(
        "confusion",
        RED_FLAG,
        WARNING,
        "Confusion or drowsiness",
        _("New confusion, or unusually sleepy or hard to wake"),
        "brain, endocrine",
    ),
    _flag(
        "skin_blistering",
        RED_FLAG,
        WARNING,
        "Blistering skin",
        _("Blisters or peeling skin, or sores in your mouth or eyes"),
        "skin (severe cutaneous reaction)",
    ),
    _flag(
        "fainting", RED_FLAG, WARNING, "Fainting", _("Fainting or passing out"), "heart, adrenal"
    ),
    _flag(
        "dark_urine",
        AMBER_FLAG,
        WARNING,
        "Dark urine",
        _("Dark (tea-coloured) pee"),
        "liver, kidney",
    ),
    _flag(
        "less_urine",
        AMBER_FLAG,
        WARNING,
        "Passing less urine",
        _("Peeing much less than usual"),
        "kidney (nephritis)",
    ),
    _flag(
        "thirst_and_urination",
        AMBER_FLAG,
        WARNING,
        "Thirst and passing more urine",
        _("Very thirsty and peeing much more than usual"),
        "pancreas (diabetes)",
    ),
)

BY_KEY: dict[str, Item] = {item.key: item for item in ITEMS}
BASELINE_ITEMS: tuple[Item, ...] = tuple(item for item in ITEMS if item.has_baseline)
AREAS: tuple[str, ...] = tuple(dict.fromkeys(item.area for item in ITEMS))


def items_in(area: str) -> tuple[Item, ...]:
    return tuple(item for item in ITEMS if item.area == area)
