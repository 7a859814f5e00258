import Foundation
import LastMileCore

/// Code systems lastmile reads in FHIR Consent resources (see docs/consent.md).
public enum ConsentCodeSystem {
    /// `provision.class` codes naming a data category: education, shelter, justice, housing.
    public static let dataCategory = "urn:lastmile:data-category"
    /// `actor.reference.identifier` naming a recipient role, e.g. pediatrics.
    public static let recipientRole = "urn:lastmile:recipient-role"
    /// `actor.reference.identifier` naming a practice id.
    public static let practice = "urn:lastmile:practice"
    /// `actor.reference.identifier` naming a source (with actor role CST, custodian).
    public static let source = "urn:lastmile:source"
    /// Extension URL whose `valueCode` is the grantor role: self, parent, guardian, court.
    public static let grantorRoleExtension = "urn:lastmile:grantor-role"
}

extension ConsentDirective {
    /// Imports FHIR R4 Consent JSON: a Bundle (every Consent entry) or a single Consent resource.
    ///
    /// Problems name the entry index and JSON path; other resource types in a Bundle are counted, not read.
    public static func importFHIR(json data: Data, file: String) -> DirectiveImport {
        var result = DirectiveImport()
        guard let root = try? JSONDecoder().decode(JSONValue.self, from: data.droppingByteOrderMark) else {
            result.problems.append(DirectiveImportError(location: file, path: "$", expected: "valid JSON"))
            return result
        }
        guard case .object(let object) = root else {
            result.problems.append(
                DirectiveImportError(location: file, path: "$", expected: "a JSON object: a Bundle or a Consent"))
            return result
        }
        switch object["resourceType"]?.string {
        case "Bundle":
            guard case .array(let entries)? = object["entry"] else {
                if object["entry"] != nil {
                    result.problems.append(DirectiveImportError(location: file, path: "entry", expected: "an array"))
                }
                return result
            }
            for (i, entry) in entries.enumerated() {
                let location = "\(file) entry[\(i)]"
                guard let resource = entry.object?["resource"] else {
                    result.problems.append(
                        DirectiveImportError(location: location, path: "resource", expected: "a resource object"))
                    continue
                }
                result.read(resource, location: location)
            }
        case "Consent":
            result.read(root, location: file)
        default:
            result.problems.append(
                DirectiveImportError(location: file, path: "resourceType", expected: "Bundle or Consent"))
        }
        return result
    }

    /// Imports FHIR R4 Consent NDJSON: one resource per line; blank lines are skipped.
    ///
    /// Problems name the 1-based line number and the JSON path within that line's resource.
    public static func importFHIRNDJSON(_ data: Data, file: String) -> DirectiveImport {
        var result = DirectiveImport()
        let newline = UInt8(ascii: "\n")
        var lineNumber = 0
        for line in data.droppingByteOrderMark.split(separator: newline, omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
            if trimmed.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            let location = "\(file):\(lineNumber)"
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(trimmed)) else {
                result.problems.append(DirectiveImportError(location: location, path: "$", expected: "valid JSON"))
                continue
            }
            result.read(value, location: location)
        }
        return result
    }

    /// Builds a directive from one FHIR R4 Consent resource; throws naming the JSON path of the first problem.
    public init(fhir resource: JSONValue, location: String) throws(DirectiveImportError) {
        var reader = FHIRConsentReader(location: location)
        self = try reader.directive(resource)
    }
}

extension DirectiveImport {
    fileprivate mutating func read(_ resource: JSONValue, location: String) {
        guard resource.object?["resourceType"]?.string == "Consent" else {
            if resource.object?["resourceType"]?.string != nil {
                ignoredResources += 1
            } else {
                problems.append(DirectiveImportError(location: location, path: "resourceType", expected: "Consent"))
            }
            return
        }
        do {
            directives.append(try ConsentDirective(fhir: resource, location: location))
        } catch {
            problems.append(error)
        }
    }
}

/// A parsed JSON value: the minimum needed to walk FHIR resources with exact paths.
public enum JSONValue: Sendable, Hashable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var object: [String: JSONValue]? { if case .object(let o) = self { o } else { nil } }
    public var array: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
}

private struct FHIRConsentReader {
    let location: String

    func fail(_ path: String, _ expected: String) -> DirectiveImportError {
        DirectiveImportError(location: location, path: path, expected: expected)
    }

    func object(_ value: JSONValue?, _ path: String) throws(DirectiveImportError) -> [String: JSONValue]? {
        guard let value else { return nil }
        guard let o = value.object else { throw fail(path, "an object") }
        return o
    }

    func array(_ value: JSONValue?, _ path: String) throws(DirectiveImportError) -> [JSONValue] {
        guard let value else { return [] }
        guard let a = value.array else { throw fail(path, "an array") }
        return a
    }

    func string(_ value: JSONValue?, _ path: String, required: Bool) throws(DirectiveImportError) -> String? {
        guard let value else {
            if required { throw fail(path, "a value is required") }
            return nil
        }
        guard let s = value.string, !s.trimmingSpaces.isEmpty else { throw fail(path, "a non-empty string") }
        return s.trimmingSpaces
    }

    /// A FHIR date or dateTime; only the day counts.
    func date(_ value: JSONValue?, _ path: String, required: Bool) throws(DirectiveImportError) -> CivilDate? {
        guard let s = try string(value, path, required: required) else { return nil }
        guard s.count >= 10, let d = CivilDate(iso: s.prefix(10)), s.count == 10 || s.dropFirst(10).first == "T" else {
            throw fail(path, "a FHIR date YYYY-MM-DD or dateTime YYYY-MM-DDThh:mm:ss+zz:zz")
        }
        return d
    }

    func codings(_ value: JSONValue?, _ path: String) throws(DirectiveImportError) -> [(system: String?, code: String)]
    {
        var result: [(String?, String)] = []
        for (i, item) in try array(value, path).enumerated() {
            let p = "\(path)[\(i)]"
            guard let o = try object(item, p) else { continue }
            let system = try string(o["system"], "\(p).system", required: false)
            guard let code = try string(o["code"], "\(p).code", required: true) else { continue }
            result.append((system, code))
        }
        return result
    }

    mutating func directive(_ resource: JSONValue) throws(DirectiveImportError) -> ConsentDirective {
        guard let r = resource.object else { throw fail("$", "a Consent object") }
        var id = try string(r["id"], "id", required: false)
        if id == nil, let first = try array(r["identifier"], "identifier").first {
            id = try string(try object(first, "identifier[0]")?["value"], "identifier[0].value", required: true)
        }
        guard let id else { throw fail("id", "an id or an identifier[0].value") }
        guard let statusText = try string(r["status"], "status", required: true),
            let status = ConsentDirective.Status(rawValue: statusText)
        else {
            throw fail("status", "one of \(ConsentDirective.Status.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let patientRef = try object(r["patient"], "patient") else {
            throw fail("patient", "a Reference(Patient)")
        }
        let patientId: String
        if let ref = try string(patientRef["reference"], "patient.reference", required: false) {
            guard ref.hasPrefix("Patient/"), ref.count > 8 else { throw fail("patient.reference", "Patient/<id>") }
            patientId = String(ref.dropFirst(8))
        } else if let ident = try object(patientRef["identifier"], "patient.identifier"),
            let value = try string(ident["value"], "patient.identifier.value", required: true)
        {
            patientId = value
        } else {
            throw fail("patient", "a reference Patient/<id> or an identifier.value")
        }
        guard let recorded = try date(r["dateTime"], "dateTime", required: true) else {
            throw fail("dateTime", "a value is required")
        }
        let grantor = try grantorRole(r)
        let provision: Provision
        if let p = r["provision"] {
            provision = try self.provision(p, "provision")
        } else {
            let rules = try codings(try object(r["policyRule"], "policyRule")?["coding"], "policyRule.coding")
            if rules.contains(where: { $0.code == "OPTOUT" }) {
                provision = Provision(type: .deny)
            } else if rules.contains(where: { $0.code == "OPTIN" }) {
                provision = Provision(type: .permit)
            } else {
                throw fail("provision", "a provision, or a policyRule coding OPTIN or OPTOUT")
            }
        }
        return ConsentDirective(
            id: id, status: status, patientId: patientId, recorded: recorded, grantorRole: grantor,
            provision: provision)
    }

    func grantorRole(_ r: [String: JSONValue]) throws(DirectiveImportError) -> GrantorRole {
        for (i, ext) in try array(r["extension"], "extension").enumerated() {
            let p = "extension[\(i)]"
            guard let o = try object(ext, p), o["url"]?.string == ConsentCodeSystem.grantorRoleExtension else {
                continue
            }
            guard let code = try string(o["valueCode"], "\(p).valueCode", required: true),
                let role = GrantorRole(rawValue: code)
            else {
                throw fail("\(p).valueCode", "one of \(GrantorRole.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return role
        }
        let performers = try array(r["performer"], "performer")
        guard let first = performers.first else { return .self }
        guard
            let ref = try string(
                try object(first, "performer[0]")?["reference"], "performer[0].reference", required: true)
        else { return .self }
        if ref.hasPrefix("Patient/") { return .self }
        if ref.hasPrefix("RelatedPerson/") { return .parent }
        throw fail(
            "performer[0].reference",
            "Patient/<id> or RelatedPerson/<id>, or an extension \(ConsentCodeSystem.grantorRoleExtension)")
    }

    func provision(_ value: JSONValue, _ path: String) throws(DirectiveImportError) -> Provision {
        guard let p = try object(value, path) else { throw fail(path, "an object") }
        for unsupported in ["code", "data", "dataPeriod"] where p[unsupported] != nil {
            throw fail(
                "\(path).\(unsupported)", "not supported by lastmile; scope with class, securityLabel, actor or purpose"
            )
        }
        guard let typeText = try string(p["type"], "\(path).type", required: true),
            let type = ProvisionType(rawValue: typeText)
        else { throw fail("\(path).type", "permit or deny") }
        var period: DateRange?
        if let po = try object(p["period"], "\(path).period") {
            let start = try date(po["start"], "\(path).period.start", required: false)
            let end = try date(po["end"], "\(path).period.end", required: false)
            if let start, let end, end < start { throw fail("\(path).period.end", "on or after period.start") }
            period = DateRange(start: start, end: end)
        }
        var actors: Set<ConsentActor> = []
        var sources: Set<String> = []
        for (i, a) in try array(p["actor"], "\(path).actor").enumerated() {
            let ap = "\(path).actor[\(i)]"
            guard let ao = try object(a, ap) else { continue }
            let roles = try codings(try object(ao["role"], "\(ap).role")?["coding"], "\(ap).role.coding")
            guard !roles.isEmpty else {
                throw fail("\(ap).role", "a CodeableConcept with a coding (PRCP, IRCP, CST …)")
            }
            let custodian = roles.contains { $0.code == "CST" }
            guard let ref = try object(ao["reference"], "\(ap).reference") else {
                throw fail("\(ap).reference", "a Reference")
            }
            if let r = try string(ref["reference"], "\(ap).reference.reference", required: false) {
                guard r.hasPrefix("Organization/"), r.count > 13 else {
                    throw fail("\(ap).reference.reference", "Organization/<practice-id or source name>")
                }
                let name = String(r.dropFirst(13))
                if custodian { sources.insert(name) } else { actors.insert(.practice(name)) }
            } else if let ident = try object(ref["identifier"], "\(ap).reference.identifier") {
                let system = try string(ident["system"], "\(ap).reference.identifier.system", required: true)
                guard let v = try string(ident["value"], "\(ap).reference.identifier.value", required: true) else {
                    continue
                }
                switch system {
                case ConsentCodeSystem.source?: sources.insert(v)
                case ConsentCodeSystem.practice?: actors.insert(.practice(v))
                case ConsentCodeSystem.recipientRole?: actors.insert(.role(v))
                default:
                    throw fail(
                        "\(ap).reference.identifier.system",
                        "\(ConsentCodeSystem.recipientRole), \(ConsentCodeSystem.practice) "
                            + "or \(ConsentCodeSystem.source)"
                    )
                }
            } else {
                throw fail("\(ap).reference", "a reference Organization/<id> or an identifier")
            }
        }
        var purposes: Set<PurposeOfUse> = []
        for (i, c) in try codings(p["purpose"], "\(path).purpose").enumerated() {
            guard PurposeOfUse.known.contains(c.code) else {
                throw fail("\(path).purpose[\(i)].code", "a v3 PurposeOfUse code such as TREAT or PUBHLTH")
            }
            purposes.insert(PurposeOfUse(rawValue: c.code))
        }
        var categories: Set<DataCategory> = []
        var classes: Set<String> = []
        for (i, c) in try codings(p["class"], "\(path).class").enumerated() {
            if c.system == ConsentCodeSystem.dataCategory {
                guard let category = DataCategory(rawValue: c.code) else {
                    throw fail(
                        "\(path).class[\(i)].code",
                        "one of \(DataCategory.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                categories.insert(category)
            } else {
                classes.insert(c.code)
            }
        }
        let labels = Set(try codings(p["securityLabel"], "\(path).securityLabel").map(\.code))
        var children: [Provision] = []
        for (i, child) in try array(p["provision"], "\(path).provision").enumerated() {
            children.append(try provision(child, "\(path).provision[\(i)]"))
        }
        return Provision(
            type: type, period: period, actors: actors, purposes: purposes, categories: categories,
            securityLabels: labels, resourceClasses: classes, sources: sources, provisions: children)
    }
}

extension Data {
    /// The data without a leading UTF-8 byte-order mark, which JSONDecoder rejects.
    var droppingByteOrderMark: Data { starts(with: [0xEF, 0xBB, 0xBF]) ? dropFirst(3) : self }
}
