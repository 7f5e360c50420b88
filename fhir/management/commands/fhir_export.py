"""`python manage.py fhir_export --patient HOSPITAL_NUMBER`: the patient's
$everything Bundle as FHIR R4 JSON on standard output."""

import json

from django.core.management.base import BaseCommand, CommandError

from fhir.everything import everything_bundle
from patients.models import Patient


class Command(BaseCommand):
    help = "Print a patient's $everything Bundle (FHIR R4 JSON) to standard output."

    def add_arguments(self, parser):
        parser.add_argument(
            "--patient", required=True, metavar="HOSPITAL_NUMBER", help="the hospital number"
        )

    def handle(self, *args, **options):
        number = options["patient"].strip()
        patient = Patient.objects.filter(hospital_number=number).first()
        if patient is None:
            raise CommandError(f"No patient has the hospital number {number!r}.")
        bundle = everything_bundle(patient)
        self.stdout.write(json.dumps(bundle, indent=2, ensure_ascii=False))
