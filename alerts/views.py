def queue(r): pass
flag_detail=acknowledge=resolve=patient_timeline=queue
