"""The clinical core: what the service knows about symptoms, written once.

Pure Python, importing no Django model and no app of the project (a test walks
the imports to keep it so): the symptom catalogue, the urgency vocabulary, rule
set v1 of shared/clinical/REFERENCE.md (the deviation engine), routing by
contact hours, when to remind a patient and when a check-in is missed, and the
plain words that explain an answer or a finding. The check-in view runs it for
the patient's advice, the worker for flags and alerts, `manage.py triage` for the
vignettes: the same functions, so that all three agree.
"""
