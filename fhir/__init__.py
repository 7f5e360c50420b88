"""HL7 FHIR R4 views of the tracker's own rows (issue 14): codes, resource builders,
bounded reads, $everything, validation and the export command. Nothing is stored
twice: every resource is built from the rows when it is asked for."""
