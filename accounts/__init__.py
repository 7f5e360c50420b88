"""Getting in: logging in (and the lockout after wrong passwords), password reset, a
patient's invitation link to a first password, the second factor for clinicians
and admins, and the logout of idle staff. Above patients: it reads who is a
clinician from the access rule book (patients/access.py)."""
