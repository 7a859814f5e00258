// The Match stage: normalisation, comparators, blocking, the Fellegi–Sunter model, EM training, linking. No I/O.
