// The Deliver stage: Monday lists (CSV, HTML), FHIR R4 export, outbox delivery.
