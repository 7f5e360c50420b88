"""load_for_check_in reads the patient its queryset names: the access helpers' querysets
(by user, by id) are written without compiling them (issue 11, the check-in's
throughput); any other is compiled as it is, and an empty one finds nobody."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patients.models import Patient
from patients.services.check_ins import load_for_check_in

from ..factories import UserFactory


@pytest.mark.parametrize(
    "named",
    [
        lambda p: Patient.objects.filter(user=p.user),
        lambda p: Patient.objects.filter(user=p.user_id),
        lambda p: Patient.objects.filter(pk=p.pk),
        lambda p: Patient.objects.filter(pk=p.pk, care_team=p.care_team_id),
        lambda p: Patient.objects.filter(user__username=p.user.username),
    ],
)
def test_the_patient_read_is_the_one_the_queryset_names(patient, other_patient, named):
    for who in (patient, other_patient):
        with CaptureQueriesContext(connection) as ctx:
            loaded = load_for_check_in(named(who))
        assert loaded.pk == who.pk and loaded.user_id == who.user_id
        assert len(ctx.captured_queries) == 1


def test_a_queryset_that_names_nobody_reads_nobody(patient):
    assert load_for_check_in(Patient.objects.filter(user=UserFactory())) is None
    assert load_for_check_in(Patient.objects.filter(pk=patient.pk).exclude(pk=patient.pk)) is None
    assert load_for_check_in(Patient.objects.none()) is None
    assert load_for_check_in(Patient.objects.exclude(user=patient.user)) is None
