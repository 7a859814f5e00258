// The flag-derivation stage: rules from events to coded flags. No I/O.
