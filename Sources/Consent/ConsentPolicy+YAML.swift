import LastMileCore
import YAMLConfig
import Yams

/// One thing wrong in a consent policy file: the one problem type of every config file.
public typealias PolicyProblem = ConfigProblem

/// A consent policy that cannot be used (exit status 78): the one configuration error.
public typealias ConsentPolicyError = ConfigError

extension ConsentPolicy {
    /// Reads and parses the consent policy file at `path` (problems name the path).
    /// - Throws: `ConfigError` (exit 78) when the file cannot be read or is invalid.
    public init(contentsOfFile path: String) throws(ConfigError) {
        try self.init(yaml: ConfigError.text(ofFile: path), file: path)
    }

    /// Parses and validates a consent-policy.yaml text; throws `ConsentPolicyError` listing every problem.
    ///
    /// `file` names the file in problems; the text itself is the caller's to read.
    public init(yaml: String, file: String = "consent-policy.yaml") throws(ConsentPolicyError) {
        var reader = PolicyReader(yaml: YAMLConfigReader(text: yaml, file: file))
        guard reader.yaml.isReadable else { throw ConsentPolicyError(problems: reader.yaml.problems) }
        guard let root = reader.yaml.root else {
            reader.report(nil, "", "empty document; expected a mapping with model and agreements")
            throw ConsentPolicyError(problems: reader.yaml.problems)
        }
        let policy = reader.policy(root)
        guard let policy, reader.yaml.problems.isEmpty else {
            throw ConsentPolicyError(problems: reader.yaml.problems)
        }
        self = policy
    }
}

/// Walks the composed YAML with the shared reader, collecting problems instead of stopping at the first.
private struct PolicyReader {
    var yaml: YAMLConfigReader

    mutating func report(_ node: Node?, _ path: String, _ message: String) { yaml.report(node, path, message) }

    // MARK: Document

    mutating func policy(_ root: Node) -> ConsentPolicy? {
        guard
            let map = mapping(
                root, "", keys: ["version", "model", "agreements", "restrictions", "minors", "guardians"])
        else { return nil }
        if let v = map["version"], v.int != 1 { report(v, "version", "expected 1") }
        let model: ConsentPolicy.Model? = enumValue(map["model"], "model", required: true)
        var agreements: [DataSharingAgreement] = []
        if let seq = sequence(map["agreements"], "agreements", required: true) {
            if seq.isEmpty { report(map["agreements"], "agreements", "expected at least one agreement") }
            for (i, node) in seq.enumerated() {
                if let a = agreement(node, "agreements[\(i)]") { agreements.append(a) }
            }
            checkAgreementSet(agreements, seq)
        }
        var restrictions = RestrictionRule.builtIn
        if let node = map["restrictions"] { restrictions = self.restrictions(node, "restrictions") }
        let minors = map["minors"].map { self.minors($0, "minors") } ?? MinorsRules()
        let guardians = map["guardians"].map { self.guardians($0, "guardians") } ?? GuardianRules()
        guard let model else { return nil }
        return ConsentPolicy(
            model: model, agreements: agreements, restrictions: restrictions, minors: minors, guardians: guardians)
    }

    mutating func agreement(_ node: Node, _ path: String) -> DataSharingAgreement? {
        let keys = [
            "id", "source", "category", "legal_basis", "purposes", "recipient_roles", "fields", "effective", "expires",
            "patient_permit_required",
        ]
        guard let map = mapping(node, path, keys: keys) else { return nil }
        let id = string(map["id"], "\(path).id", required: true)
        let source = string(map["source"], "\(path).source", required: true)
        let category: DataCategory? = enumValue(map["category"], "\(path).category", required: true)
        let basis = string(map["legal_basis"], "\(path).legal_basis", required: true)
        if let basis, !DataSharingAgreement.knownLegalBases.contains(basis) {
            report(
                map["legal_basis"], "\(path).legal_basis",
                "unknown legal basis; expected one of \(DataSharingAgreement.knownLegalBases.joined(separator: ", "))")
        }
        let purposes = purposeList(map["purposes"], "\(path).purposes")
        let roles = tokenList(map["recipient_roles"], "\(path).recipient_roles", required: true)
        let effective = date(map["effective"], "\(path).effective", required: true)
        let expires = date(map["expires"], "\(path).expires", required: true)
        if let effective, let expires, expires < effective {
            report(map["expires"], "\(path).expires", "expires before effective")
        }
        var permitRequired = false
        if let node = map["patient_permit_required"] {
            if let b = node.bool {
                permitRequired = b
            } else {
                report(node, "\(path).patient_permit_required", "expected true or false")
            }
        }
        var personFields: Set<PersonField> = []
        var eventFields: Set<EventField> = []
        if let fieldsMap = mapping(map["fields"], "\(path).fields", keys: ["person", "event"], required: true) {
            personFields = Set(enumList(fieldsMap["person"], "\(path).fields.person", required: true) as [PersonField])
            let events: [EventField] = enumList(fieldsMap["event"], "\(path).fields.event", required: true)
            eventFields = Set(events)
            if let category {
                let existing = EventField.fields(of: category)
                for field in eventFields.subtracting(existing).sorted() {
                    report(
                        fieldsMap["event"], "\(path).fields.event",
                        "\(field.rawValue) is not a \(category.rawValue) field; expected among "
                            + existing.sorted().map(\.rawValue).joined(separator: ", ")
                    )
                }
                let missing = EventField.required(for: category).subtracting(eventFields)
                if fieldsMap["event"] != nil, !missing.isEmpty {
                    report(
                        fieldsMap["event"], "\(path).fields.event",
                        "a \(category.rawValue) record cannot pass without "
                            + missing.sorted().map(\.rawValue).joined(separator: ", ")
                    )
                }
            }
        }
        guard let id, let source, let category, let basis, let effective, let expires, !purposes.isEmpty, !roles.isEmpty
        else { return nil }
        return DataSharingAgreement(
            id: id, source: source, category: category, legalBasis: basis, purposes: Set(purposes),
            recipientRoles: Set(roles), personFields: personFields, eventFields: eventFields, effective: effective,
            expires: expires, patientPermitRequired: permitRequired)
    }

    mutating func checkAgreementSet(_ agreements: [DataSharingAgreement], _ nodes: [Node]) {
        var seen: [String: Int] = [:]
        for (i, a) in agreements.enumerated() {
            let node = nodes.first { $0.mapping?["id"]?.string == a.id }
            if let first = seen[a.id] {
                report(node, "agreements[\(i)].id", "duplicate agreement id (first at agreements[\(first)])")
            } else {
                seen[a.id] = i
            }
            for (j, b) in agreements.enumerated() where j < i && b.source == a.source && b.category == a.category {
                if a.effective <= b.expires && b.effective <= a.expires {
                    report(
                        node, "agreements[\(i)]",
                        "in force at the same time as \(b.id) for the same source and category; "
                            + "end one before the other starts"
                    )
                }
            }
        }
    }

    mutating func restrictions(_ node: Node, _ path: String) -> [RestrictionRule] {
        guard let seq = sequence(node, path, required: true) else { return RestrictionRule.builtIn }
        var rules: [RestrictionRule] = []
        for (i, item) in seq.enumerated() {
            guard let map = mapping(item, "\(path)[\(i)]", keys: ["label", "basis"]) else { continue }
            guard let label = string(map["label"], "\(path)[\(i)].label", required: true),
                let basis = string(map["basis"], "\(path)[\(i)].basis", required: true)
            else { continue }
            if !label.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }) {
                report(map["label"], "\(path)[\(i)].label", "expected a kebab-case label")
            }
            if rules.contains(where: { $0.label.rawValue == label }) {
                report(map["label"], "\(path)[\(i)].label", "duplicate label")
            }
            rules.append(RestrictionRule(label: RestrictionLabel(rawValue: label), basis: basis))
        }
        for builtIn in RestrictionRule.builtIn where !rules.contains(where: { $0.label == builtIn.label }) {
            report(node, path, "\(builtIn.label.rawValue) must be listed: it is required by law and cannot be lifted")
        }
        return rules
    }

    mutating func minors(_ node: Node, _ path: String) -> MinorsRules {
        let keys = [
            "age_of_majority", "parental_authority_ends_at_majority", "adolescent_protected_categories",
            "parent_facing_roles", "justice_minimum_age",
        ]
        var rules = MinorsRules()
        guard let map = mapping(node, path, keys: keys) else { return rules }
        if let n = map["age_of_majority"] {
            if let v = n.int, (14...25).contains(v) {
                rules.ageOfMajority = v
            } else {
                report(n, "\(path).age_of_majority", "expected a whole number of years between 14 and 25")
            }
        }
        if let n = map["justice_minimum_age"] {
            if n.tag.rawValue == Tag.Name.null.rawValue || n.string == "none" {
                rules.justiceMinimumAge = nil
            } else if let v = n.int, (10...25).contains(v) {
                rules.justiceMinimumAge = v
            } else {
                report(n, "\(path).justice_minimum_age", "expected a whole number of years between 10 and 25, or none")
            }
        }
        if let n = map["parental_authority_ends_at_majority"] {
            rules.parentalAuthorityEndsAtMajority = Set(
                enumList(n, "\(path).parental_authority_ends_at_majority", required: true))
        }
        if let n = map["adolescent_protected_categories"] {
            rules.adolescentProtectedCategories = Set(
                enumList(n, "\(path).adolescent_protected_categories", required: true))
        }
        if let n = map["parent_facing_roles"] {
            rules.parentFacingRoles = Set(tokenList(n, "\(path).parent_facing_roles", required: true))
        }
        if !rules.adolescentProtectedCategories.isEmpty, rules.parentFacingRoles.isEmpty {
            report(
                map["adolescent_protected_categories"], "\(path).parent_facing_roles",
                "required when adolescent_protected_categories is not empty; name the parent-facing recipient roles")
        }
        return rules
    }

    mutating func guardians(_ node: Node, _ path: String) -> GuardianRules {
        var rules = GuardianRules()
        guard let map = mapping(node, path, keys: ["accepted_grantor_roles", "court_orders_final"]) else {
            return rules
        }
        if let n = map["accepted_grantor_roles"] {
            let roles: [GrantorRole] = enumList(n, "\(path).accepted_grantor_roles", required: true)
            rules.acceptedGrantorRoles = Set(roles)
            if !roles.contains(.self) {
                report(
                    n, "\(path).accepted_grantor_roles", "must include self: a patient's own directive always counts")
            }
        }
        if let n = map["court_orders_final"] {
            if let b = n.bool {
                rules.courtOrdersFinal = b
            } else {
                report(n, "\(path).court_orders_final", "expected true or false")
            }
        }
        return rules
    }

    // MARK: Typed values

    mutating func mapping(_ node: Node?, _ path: String, keys: [String], required: Bool = true) -> ConfigMapping? {
        yaml.mapping(node, path, keys: keys, required: required)
    }

    mutating func sequence(_ node: Node?, _ path: String, required: Bool) -> [Node]? {
        yaml.sequence(node, path, required: required)
    }

    mutating func string(_ node: Node?, _ path: String, required: Bool) -> String? {
        yaml.string(node, path, required: required)
    }

    mutating func date(_ node: Node?, _ path: String, required: Bool) -> CivilDate? {
        guard let s = string(node, path, required: required) else { return nil }
        guard let d = CivilDate(iso: s) else {
            report(node, path, "expected a date YYYY-MM-DD")
            return nil
        }
        return d
    }

    mutating func enumValue<E: RawRepresentable & CaseIterable>(_ node: Node?, _ path: String, required: Bool) -> E?
    where E.RawValue == String {
        yaml.enumValue(node, path, required: required)
    }

    mutating func enumList<E: RawRepresentable & CaseIterable>(_ node: Node?, _ path: String, required: Bool) -> [E]
    where E.RawValue == String {
        guard let seq = sequence(node, path, required: required) else { return [] }
        var values: [E] = []
        for (i, item) in seq.enumerated() {
            if let v: E = enumValue(item, "\(path)[\(i)]", required: true) { values.append(v) }
        }
        return values
    }

    mutating func tokenList(_ node: Node?, _ path: String, required: Bool) -> [String] {
        guard let seq = sequence(node, path, required: required) else { return [] }
        if seq.isEmpty { report(node, path, "expected at least one value") }
        var values: [String] = []
        for (i, item) in seq.enumerated() {
            guard let s = string(item, "\(path)[\(i)]", required: true) else { continue }
            if s.isEmpty || !s.allSatisfy({ ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }) {
                report(item, "\(path)[\(i)]", "expected a kebab-case name")
            } else {
                values.append(s)
            }
        }
        return values
    }

    mutating func purposeList(_ node: Node?, _ path: String) -> [PurposeOfUse] {
        guard let seq = sequence(node, path, required: true) else { return [] }
        if seq.isEmpty { report(node, path, "expected at least one purpose of use") }
        var values: [PurposeOfUse] = []
        for (i, item) in seq.enumerated() {
            guard let s = string(item, "\(path)[\(i)]", required: true) else { continue }
            if PurposeOfUse.known.contains(s) {
                values.append(PurposeOfUse(rawValue: s))
            } else {
                report(item, "\(path)[\(i)]", "expected a v3 PurposeOfUse code such as TREAT, CAREMGT, COC, PUBHLTH")
            }
        }
        return values
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
