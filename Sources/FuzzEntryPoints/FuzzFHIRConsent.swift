import Consent
import Foundation
import LastMileCore

/// Every JSON key the FHIR Consent importer may name in a problem's path.
private let knownPathKeys: Set<String> = [
    "$", "id", "identifier", "value", "status", "patient", "reference", "dateTime", "provision", "policyRule",
    "coding", "extension", "valueCode", "performer", "code", "data", "dataPeriod", "type", "period", "start", "end",
    "actor", "role", "system", "purpose", "class", "securityLabel", "resourceType", "entry", "resource",
]

/// Drives the FHIR R4 Consent importer (Bundle or resource, and NDJSON) with one fuzz input.
///
/// Invariants: a problem's path is built from known keys and indices only and its text never echoes a string
/// of the input that looks personal; directives have an id, a patient and a period that does not end before
/// it starts, and survive a JSON round trip; a one-line Consent imports the same as JSON and as NDJSON.
public func fuzzFHIRConsent(_ input: UnsafeRawBufferPointer) -> FuzzOutcome {
    var outcome = FuzzOutcome()
    let data = Data(input)
    let json = ConsentDirective.importFHIR(json: data, file: "fuzz.json")
    let ndjson = ConsentDirective.importFHIRNDJSON(data, file: "fuzz.ndjson")
    var strings: [String] = []
    if let root = try? JSONDecoder().decode(JSONValue.self, from: data) { collectStrings(root, into: &strings) }
    for line in data.split(separator: UInt8(ascii: "\n")) {
        if let value = try? JSONDecoder().decode(JSONValue.self, from: Data(line)) {
            collectStrings(value, into: &strings)
        }
    }
    let personal = strings.filter(looksPersonal)
    for (result, file) in [(json, "fuzz.json"), (ndjson, "fuzz.ndjson")] {
        for problem in result.problems {
            outcome.check(problem.location.hasPrefix(file), "fhir: a problem names another file")
            outcome.check(isKnownPath(problem.path), "fhir: a problem path holds an input key")
            let text = problem.description
            outcome.check(!personal.contains(where: { text.contains($0) }), "fhir: a problem echoes an input value")
        }
        for directive in result.directives {
            outcome.check(
                !directive.id.isEmpty && !directive.patientId.isEmpty, "fhir: a directive without id or patient")
            checkPeriods(directive.provision, &outcome)
            if let encoded = try? JSONEncoder().encode(directive) {
                let decoded = try? JSONDecoder().decode(ConsentDirective.self, from: encoded)
                outcome.check(decoded == directive, "fhir: a directive does not survive a JSON round trip")
            } else {
                outcome.check(false, "fhir: a directive does not encode")
            }
        }
    }
    // One line holding one Consent: both importers must agree.
    if !data.contains(UInt8(ascii: "\n")), !data.contains(UInt8(ascii: "\r")),
        case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: data),
        object["resourceType"]?.string == "Consent"
    {
        outcome.check(json.directives == ndjson.directives, "fhir: JSON and NDJSON import differ")
        outcome.check(json.problems.map(\.path) == ndjson.problems.map(\.path), "fhir: JSON and NDJSON problems differ")
    }
    return outcome
}

private func collectStrings(_ value: JSONValue, into strings: inout [String]) {
    switch value {
    case .string(let s): strings.append(s.trimmingCharacters(in: .whitespaces))
    case .array(let a): for item in a { collectStrings(item, into: &strings) }
    case .object(let o): for item in o.values { collectStrings(item, into: &strings) }
    default: break
    }
}

/// `provision.actor[0].reference` and the like: known keys, dots and bracketed indices.
private func isKnownPath(_ path: String) -> Bool {
    for segment in path.split(separator: ".", omittingEmptySubsequences: false) {
        var key = Substring(segment)
        while key.hasSuffix("]"), let open = key.lastIndex(of: "[") {
            guard key[key.index(after: open)..<key.index(before: key.endIndex)].allSatisfy(\.isASCII),
                Int(key[key.index(after: open)..<key.index(before: key.endIndex)]) != nil
            else { return false }
            key = key[..<open]
        }
        guard knownPathKeys.contains(String(key)) else { return false }
    }
    return true
}

private func checkPeriods(_ provision: Provision, _ outcome: inout FuzzOutcome) {
    if let period = provision.period, let start = period.start, let end = period.end {
        outcome.check(start <= end, "fhir: a provision period ends before it starts")
    }
    for child in provision.provisions { checkPeriods(child, &outcome) }
}
