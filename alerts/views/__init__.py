"""The care team's pages, a module a family: the queue and missed check-ins, a
patient, a flag and its episode, the acknowledge link, a team's contacts and figures."""
