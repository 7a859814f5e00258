// The consent stage: policy model, consent directives, the two gates and their reasons. No I/O.
