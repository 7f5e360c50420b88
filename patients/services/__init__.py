"""The patients app's services, a module a job: recording and judging check-ins
(check_ins), whom to phone (advice), check-in reminders (reminders)."""
