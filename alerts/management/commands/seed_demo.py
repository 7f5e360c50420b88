"""Demo data for `make run`: a care team and its contact list, a nurse, a
coordinator, an admin, and patients whose stories show every part of the loop.

- alice: a quiet week at her usual (try a check-in with 9 stools as her);
- bob: a bowel episode over three days, now red, its alert escalated unanswered;
- carol: an amber itching episode the nurse has acknowledged;
- dan: a resolved episode, with the action taken;
- eve: on treatment and silent for 5 days (missed check-ins);
- the registrar's SMS number failed permanently (a broken channel, shown to admins);
- a second team (another hospital) with its own nurse, nina, and patients, gus and
  hana: neither team's nurse sees the other's patients.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from alerts.models import Notification
from alerts.services import escalation, flagging, triage
from clinical.catalogue import BASELINE_ITEMS
from patients.invitations import patient_invitation_url
from patients.models import (
    Baseline,
    BrokenChannel,
    Carer,
    CareTeam,
    CheckIn,
    Contact,
    ContactHours,
    Patient,
    TeamMembership,
    Treatment,
)
from patients.services.check_ins import evaluate

PASSWORD = "demo-pass-2026"  # noqa: S105 - printed for the demo; never a real deployment
# The demo staff's authenticator app (accounts.two_factor): one known key,
# printed below, so that `make run` can be tried. Never in a real deployment.
DEMO_TOTP_KEY = b"symptom-tracker-demo".hex()  # base32 ON4W 24DU N5WS 25DS MFRW WZLS FVSG K3LP
STAFF = ("nurse", "coordinator", "admin", "nina")
TEAM = "Immunotherapy Unit, St Catherine's Hospital"
DEMO_MOBILE = "+447700900123"  # alice's: a number of the UK's range kept for drama
OTHER_TEAM = "Oncology Day Unit, Riverside General Hospital"

CONTACTS = [
    dict(
        order=1,
        name="Immunotherapy nurse specialist",
        role="Clinical nurse specialist team",
        phone="020 7946 0101",
        email="cns-team@example.org",
        sms_number="+447700900101",
        handles_amber=True,
        handles_red=True,
        when_to_call="Weekdays 9am to 5pm.",
        hours=[("mon-fri", "09:00", "17:00")],
    ),
    dict(
        order=2,
        name="Acute oncology 24-hour line",
        role="Acute oncology service",
        phone="020 7946 0999",
        email="aos-hotline@example.org",
        sms_number="+447700900999",
        handles_amber=True,
        handles_red=True,
        always_on_duty=True,
        when_to_call="Any time, day or night, including weekends.",
    ),
    dict(
        order=3,
        name="On-call oncology registrar",
        role="Oncology registrar on call",
        phone="020 7946 0300",
        email="onc-oncall@example.org",
        sms_number="+447700900300",
        handles_red=True,
        always_on_duty=True,
        when_to_call="Only if the 24-hour line does not answer: it puts you through.",
    ),
]

USUAL = dict(stools_per_day=1, fatigue=1, wellbeing=8, joint_pain=1)
DAY = timedelta(days=1)


def complete_usual(values: dict) -> dict:
    """A usual answers every item (as the usual page asks): none (0) for each 0-4
    item the story leaves out. Every story gives the stool count and the wellbeing."""
    return {**{item.key: 0 for item in BASELINE_ITEMS}, **values}


MINUTE = timedelta(minutes=1)

# username, first, last, hospital number, medicines, baseline,
# [(how long ago, answers)], what the nurse did
PATIENTS = [
    (
        "alice",
        "Alice",
        "Morgan",
        "RXH1000001",
        "pembrolizumab",
        USUAL,
        [
            # Five weeks ago: loose stools, amber; the nurse phoned, it settled.
            (35 * DAY, dict(USUAL, stools_per_day=4, fatigue=2)),
            *((d * DAY, USUAL) for d in range(7, 0, -1)),
        ],
        "settled",
    ),
    (
        "bob",
        "Robert",
        "Okafor",
        "RXH1000002",
        "ipilimumab and nivolumab",
        dict(stools_per_day=1, fatigue=1, wellbeing=7, cough=1),
        [
            *((d * DAY, dict(stools_per_day=1, fatigue=1, wellbeing=7)) for d in range(7, 3, -1)),
            (3 * DAY, dict(stools_per_day=3, fatigue=2, wellbeing=6)),
            (2 * DAY, dict(stools_per_day=4, fatigue=2, wellbeing=6)),
            (
                40 * MINUTE,
                dict(
                    stools_per_day=7,
                    abdominal_pain=2,
                    fatigue=2,
                    wellbeing=4,
                    new_medicines="Loperamide from the chemist yesterday",
                ),
            ),
        ],
        "escalate",
    ),
    (
        "carol",
        "Carol",
        "Singh",
        "RXH1000003",
        "nivolumab",
        dict(USUAL, itching=1, rash=0),
        [
            *((d * DAY, dict(USUAL, itching=1)) for d in range(6, 1, -1)),
            (
                1 * DAY + 3 * 60 * MINUTE,
                dict(USUAL, itching=3, rash=1, free_text="Itchy arms and back, worse at night"),
            ),
        ],
        "acknowledge",
    ),
    (
        "dan",
        "Daniel",
        "Evans",
        "RXH1000004",
        "pembrolizumab",
        dict(USUAL, headache=0),
        [
            (5 * DAY, USUAL),
            (4 * DAY, dict(USUAL, headache=2)),
            (3 * DAY, dict(USUAL, headache=1)),
            (2 * DAY, USUAL),
            (1 * DAY, USUAL),
        ],
        "resolve",
    ),
    (
        "eve",
        "Evelyn",
        "Clarke",
        "RXH1000005",
        "atezolizumab",
        USUAL,
        [(d * DAY, USUAL) for d in range(9, 4, -1)],
        None,
    ),
]

# The second team: one contact line, one nurse and two patients of its own.
OTHER_CONTACTS = [
    dict(
        order=1,
        name="Riverside oncology 24-hour line",
        role="Acute oncology service",
        phone="020 7946 0555",
        email="riverside-aos@example.org",
        sms_number="+447700900555",
        handles_amber=True,
        handles_red=True,
        always_on_duty=True,
        when_to_call="Any time, day or night, including weekends.",
    ),
]
OTHER_PATIENTS = [
    (
        "gus",
        "Angus",
        "Reid",
        "RGH2000001",
        "nivolumab",
        USUAL,
        [
            *((d * DAY, USUAL) for d in range(5, 1, -1)),
            (2 * 60 * MINUTE, dict(USUAL, stools_per_day=4, fatigue=2)),
        ],
        None,
    ),
    (
        "hana",
        "Hana",
        "Kowalski",
        "RGH2000002",
        "pembrolizumab",
        USUAL,
        [(d * DAY, USUAL) for d in range(4, 0, -1)],
        None,
    ),
]


class Command(BaseCommand):
    help = (
        "Load demo data (idempotent): a care team, its staff and five patients; and a "
        "second team with its own nurse and two patients."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        loaded = CareTeam.objects.filter(name=TEAM).exists()
        if not loaded:
            self._first_team()
        # Separately, so that a demo database made before the second team gains it.
        other_loaded = CareTeam.objects.filter(name=OTHER_TEAM).exists()
        if not other_loaded:
            self._other_team()
        self._demo_devices()
        if loaded and other_loaded:
            self.stdout.write("Demo data already loaded.")
        else:
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self._print_logins()

    def _team(self, name, contacts):
        team = CareTeam.objects.create(name=name, time_zone="Europe/London")
        for spec in contacts:
            spec = dict(spec)
            hours = spec.pop("hours", [])
            contact = Contact.objects.create(team=team, **spec)
            for days, start, end in hours:
                ContactHours.objects.create(contact=contact, days=days, start=start, end=end)
        return team

    def _patients(self, team, patients, nurse, now):
        User = get_user_model()
        for username, first, last, number, medicines, baseline, days, story in patients:
            user = User.objects.create_user(
                username, f"{username}@example.org", PASSWORD, first_name=first, last_name=last
            )
            patient = Patient.objects.create(
                user=user,
                care_team=team,
                hospital_number=number,
                time_zone="Europe/London",
                created_at=now - 70 * DAY,
            )
            Treatment.objects.create(
                patient=patient,
                kind="checkpoint_inhibitor",
                medicines=medicines,
                status="active",
                start_date=(now - 63 * DAY).date(),
                last_dose_date=(now - 12 * DAY).date(),
                schedule="every 3 weeks",
                next_dose_date=(now + 9 * DAY).date(),
            )
            base = Baseline.objects.create(
                patient=patient, created_at=now - 63 * DAY, **complete_usual(baseline)
            )
            made = [self._check_in(patient, base, now - ago, answers) for ago, answers in days]
            self._play(story, made[-1], nurse, now)

    def _other_team(self):
        """Another hospital's team: its nurse sees her own patients, never the first
        team's, and the first team's nurse never sees hers."""
        team = self._team(OTHER_TEAM, OTHER_CONTACTS)
        nina = get_user_model().objects.create_user(
            "nina", "nina@example.org", PASSWORD, first_name="Nina", last_name="Adeyemi"
        )
        TeamMembership.objects.create(team=team, user=nina, role="nurse")
        self._patients(team, OTHER_PATIENTS, nina, timezone.now())

    def _first_team(self):
        User = get_user_model()
        team = self._team(TEAM, CONTACTS)
        registrar = team.contacts.get(order=3)
        BrokenChannel.objects.create(
            contact=registrar,
            channel="sms",
            error="SMS provider: HTTP 400 The 'To' number is not a valid mobile number",
        )
        nurse = User.objects.create_user(
            "nurse", "nurse@example.org", PASSWORD, first_name="Nadia", last_name="Hughes"
        )
        TeamMembership.objects.create(team=team, user=nurse, role="nurse")
        coordinator = User.objects.create_user(
            "coordinator",
            "coordinator@example.org",
            PASSWORD,
            first_name="Colin",
            last_name="Price",
        )
        TeamMembership.objects.create(team=team, user=coordinator, role="coordinator")
        User.objects.create_superuser(
            "admin", "admin@example.org", PASSWORD, first_name="Adam", last_name="Reid"
        )

        now = timezone.now()
        self._patients(team, PATIENTS, nurse, now)
        self._carer_and_newcomer(team, now)
        # Alice also checks in by SMS reply (README, "Check-ins by SMS").
        Patient.objects.filter(user__username="alice").update(
            mobile_number=DEMO_MOBILE, sms_check_ins=True, mobile_confirmed_at=now
        )

    def _check_in(self, patient, baseline, at, answers):
        answers = dict(answers)
        extra = {k: answers.pop(k) for k in ("free_text", "new_medicines") if k in answers}
        check_in = CheckIn(
            patient=patient,
            baseline=baseline,
            submitted_at=at,
            local_date=patient.local_date(at),
            entered_by="patient",
            entered_by_user=patient.user,
            **answers,
            **extra,
        )
        check_in.urgency = evaluate(check_in).urgency
        check_in.save()
        # The worker's job, done here so that the demo starts with its flags and
        # alerts; delivery is queued on commit for the worker to pick up.
        flagging.flag_check_in(check_in.pk, now=at)
        return check_in

    def _play(self, story, check_in, nurse, now):
        if story == "settled":  # an episode of weeks ago, phoned about and resolved
            earlier = check_in.patient.check_ins.filter(flags__isnull=False).first()
            flag = earlier.flags.order_by("pk").first()
            at = earlier.submitted_at
            Notification.objects.filter(alert__check_in=earlier).update(
                status="sent", sent_at=at + MINUTE
            )
            triage.acknowledge_flag(flag, nurse, now=at + 18 * MINUTE)
            triage.record_action(
                flag,
                nurse,
                kind="phoned",
                now=at + 30 * MINUTE,
                note="Four loose stools, no blood or pain; fluids; ring if more.",
            )
            triage.resolve_flag(flag, nurse, now=at + 2 * DAY, note="Back to usual; no action.")
        elif story == "escalate":  # nobody answered within 15 minutes
            escalation.escalate_overdue_alerts(now=now - 20 * MINUTE)
        elif story == "acknowledge":
            flag = check_in.flags.order_by("pk").first()
            triage.acknowledge_flag(flag, nurse, now=check_in.submitted_at + 25 * MINUTE)
        elif story == "resolve":
            headache = check_in.patient.check_ins.filter(flags__symptom="headache").first()
            flag = headache.flags.get(symptom="headache")
            at = headache.submitted_at
            triage.acknowledge_flag(flag, nurse, now=at + 12 * MINUTE)
            triage.record_action(
                flag,
                nurse,
                kind="phoned",
                now=at + 20 * MINUTE,
                note="No visual change or weakness; paracetamol; ring if worse.",
            )
            triage.resolve_flag(
                flag, nurse, now=at + 2 * DAY, note="Headache settled; no further action."
            )

    def _carer_and_newcomer(self, team, now):
        """Sam, alice's carer, who accepted her invitation; and Fay, set up by the
        admin and invited, who has not chosen a password yet (her link is printed)."""
        User = get_user_model()
        sam = User.objects.create_user(
            "sam@example.org", "sam@example.org", PASSWORD, first_name="Sam", last_name="Morgan"
        )
        Carer.objects.create(
            patient=Patient.objects.get(user__username="alice"),
            name="Sam Morgan",
            email=sam.email,
            user=sam,
            invited_at=now - 20 * DAY,
            accepted_at=now - 19 * DAY,
        )
        fay = User.objects.create_user("fay", "fay@example.org", first_name="Fay", last_name="Osei")
        fay.set_unusable_password()
        fay.save()
        newcomer = Patient.objects.create(
            user=fay, care_team=team, hospital_number="RXH1000006", invited_at=now
        )
        Treatment.objects.create(
            patient=newcomer,
            kind="checkpoint_inhibitor",
            medicines="pembrolizumab",
            status="active",
            start_date=now.date(),
            schedule="every 3 weeks",
            next_dose_date=(now + 1 * DAY).date(),
        )

    def _invitation(self) -> str:
        """Fay's link, while she has not used it."""
        fay = Patient.objects.filter(user__username="fay").select_related("user").first()
        if fay is None or fay.user.has_usable_password():
            return ""
        return (
            "Fay has been invited and has not chosen a password yet; her first visit starts at\n"
            f"  {patient_invitation_url(fay)}\n"
        )

    def _demo_devices(self):
        """The demo staff's authenticator app, the same known key for each."""
        for user in get_user_model().objects.filter(username__in=STAFF):
            TOTPDevice.objects.get_or_create(
                user=user, name="Demo authenticator", defaults={"key": DEMO_TOTP_KEY}
            )

    def _print_logins(self):
        self.stdout.write(
            f"\nDemo logins (password for all: {PASSWORD})\n"
            "  patient      alice        (baseline 1 stool a day; try a check-in with 9 stools)\n"
            f"               alice also checks in by SMS from {DEMO_MOBILE}: try\n"
            "               manage.py sms_signature D9 (README, Check-ins by SMS)\n"
            "  patient      bob          (a red bowel episode, escalated)\n"
            "  patient      eve          (has missed her check-ins)\n"
            "  carer        sam@example.org  (alice's carer: her contacts, advice, history)\n"
            "  nurse        nurse        (triage queue)\n"
            "  coordinator  coordinator  (edits the team's contact list)\n"
            "  admin        admin        (Django admin: teams, contacts, patients)\n"
            "A second team (Riverside General Hospital), which the first team's staff\n"
            "never see, nor its nurse theirs:\n"
            "  patient      gus          (an amber change in his bowels this morning)\n"
            "  patient      hana         (a quiet week)\n"
            "  nurse        nina         (her own team's triage queue only)\n"
            "The nurses, the coordinator and the admin then enter a code from an\n"
            "authenticator app holding the demo key (time-based, 6 digits):\n"
            "  ON4W 24DU N5WS 25DS MFRW WZLS FVSG K3LP\n"
            "  otpauth://totp/Symptom%20tracker%3Ademo?secret=ON4W24DUN5WS25DSMFRWWZLSFVSGK3LP"
            "&issuer=Symptom%20tracker\n"
            '  or the code now: .venv/bin/python -c "from django_otp.oath import totp; '
            "print('%06d' % totp(b'symptom-tracker-demo'))\"\n"
            f"Open {settings.SITE_URL}/ (SITE_URL; WEB_PORT sets its port)\n" + self._invitation()
        )
