"""The patients app's forms, a module a family: the check-in and the usual
(check_in), the notebook, carers, reminders, and care teams' contact lists (contacts)."""
