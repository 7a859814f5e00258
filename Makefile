# lastmile — make demo (the nightly job end to end on sample data) and make test (the whole suite).
SHELL := /bin/bash
SWIFT ?= swift
RELEASE_BIN := .build/release/lastmile

.PHONY: deps build demo test test-dates bench fuzz format lint clean-demo deb

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release --product lastmile

## Runs the main job end to end on sample-data/ with the embedded warehouse, then says what it did.
demo: build
	@scripts/demo.sh $(RELEASE_BIN)

## Runs every test against a throwaway PostgreSQL cluster that the test process starts and removes itself.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test

## The whole suite under faketime, a year ahead and before the sample world's date (docs/architecture.md, "Time").
test-dates: deps
	@scripts/test-dates.sh

## Benchmarks in a release build, each as a ratio against a reference tool in the same command.
bench: build
	@bench/run-all.sh $(RELEASE_BIN)

## Fuzzes one parser with libFuzzer + AddressSanitizer (docs/fuzzing.md): make fuzz TARGET=csv-reader SECONDS=600
TARGET ?= csv-reader
SECONDS ?= 600
fuzz:
	@scripts/fuzz.sh $(TARGET) $(SECONDS)

## A Debian package in .build/deb/ (Swift standard library linked statically; docs/operations.md, "Install").
deb: deps
	@scripts/build-deb.sh

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

## Stops and removes the demo's embedded warehouse and outputs.
clean-demo:
	-$(RELEASE_BIN) db stop
	rm -rf .lastmile outbox drop
