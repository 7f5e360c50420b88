"""The patient's pages (and their carer's), a module a family: home, the check-in, my
history, contacts and treatment, the notebook, carers, reminders, my data."""
