"""The small shared base: what every app of the project may import, and which
imports none of them. The client's address behind trusted proxies, queueing a
Celery task once a transaction commits, and the limits on the emails anyone can
make the app send (with their counts, SendCount)."""
