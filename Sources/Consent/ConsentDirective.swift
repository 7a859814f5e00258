import LastMileCore

/// One patient's consent directive, mirroring FHIR R4 `Consent`: a status, a grantor and a provision tree.
///
/// Codable as JSON, so the warehouse can keep the provision tree in one `jsonb` column.
public struct ConsentDirective: Sendable, Hashable, Codable {
    /// FHIR `Consent.status`; only `active` directives apply.
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        case draft, proposed, active, rejected, inactive
        case enteredInError = "entered-in-error"
    }

    public var id: String
    public var status: Status
    /// The HIE patient id (`Consent.patient`).
    public var patientId: String
    /// When the directive was captured (`Consent.dateTime`); orders directives of the same scope.
    public var recorded: CivilDate
    public var grantorRole: GrantorRole
    /// The root provision: the base rule; its nested provisions are exceptions.
    public var provision: Provision

    public init(
        id: String, status: Status, patientId: String, recorded: CivilDate, grantorRole: GrantorRole,
        provision: Provision
    ) {
        self.id = id
        self.status = status
        self.patientId = patientId
        self.recorded = recorded
        self.grantorRole = grantorRole
        self.provision = provision
    }

    /// Whether the directive is in force on `date`: active and within its root period.
    public func isInForce(on date: CivilDate) -> Bool {
        status == .active && (provision.period?.contains(date) ?? true)
    }
}

/// A rule in a directive (`Consent.provision`): permit or deny within a scope, with nested exceptions.
///
/// Every empty scope list means "any". A nested provision is evaluated only where its parent applies.
public struct Provision: Sendable, Hashable, Codable {
    public var type: ProvisionType
    public var period: DateRange?
    /// Recipients (`provision.actor`); empty = every recipient.
    public var actors: Set<ConsentActor>
    public var purposes: Set<PurposeOfUse>
    /// Data categories (`provision.class` in the lastmile data-category system); empty = all.
    public var categories: Set<DataCategory>
    /// DS4P security labels (`provision.securityLabel`); the provision covers categories carrying one of them.
    public var securityLabels: Set<String>
    /// Resource classes (`provision.class` in other systems, e.g. `Flag`); lastmile delivers `Flag`.
    public var resourceClasses: Set<String>
    /// Source names (custodian actors); empty = every source.
    public var sources: Set<String>
    public var provisions: [Provision]

    public init(
        type: ProvisionType, period: DateRange? = nil, actors: Set<ConsentActor> = [],
        purposes: Set<PurposeOfUse> = [], categories: Set<DataCategory> = [], securityLabels: Set<String> = [],
        resourceClasses: Set<String> = [], sources: Set<String> = [], provisions: [Provision] = []
    ) {
        self.type = type
        self.period = period
        self.actors = actors
        self.purposes = purposes
        self.categories = categories
        self.securityLabels = securityLabels
        self.resourceClasses = resourceClasses
        self.sources = sources
        self.provisions = provisions
    }

    /// The scope of the root provision, compared when a newer directive supersedes an older one.
    public var scope: ProvisionScope {
        ProvisionScope(
            actors: actors, purposes: purposes, categories: categories, securityLabels: securityLabels,
            resourceClasses: resourceClasses, sources: sources)
    }
}

/// What a provision is about, regardless of permit/deny and period: two directives with equal scopes compete.
public struct ProvisionScope: Sendable, Hashable {
    public var actors: Set<ConsentActor>
    public var purposes: Set<PurposeOfUse>
    public var categories: Set<DataCategory>
    public var securityLabels: Set<String>
    public var resourceClasses: Set<String>
    public var sources: Set<String>
}

/// The resource class lastmile delivers its data as.
let deliveredResourceClass = "Flag"

/// What a consent question is about: whose data, which category and source, for what, to whom, on which day.
public struct ConsentRequest: Sendable, Hashable {
    public var patientId: String
    public var category: DataCategory
    public var source: String
    public var purpose: PurposeOfUse
    /// nil when loading into the warehouse (no disclosure yet); a practice and role at delivery.
    public var recipient: Recipient?
    /// The run date (gate 2) or the report date (delivery).
    public var date: CivilDate
    /// The patient's MPI birth date; nil when unknown (minor rules then fail closed).
    public var patientBirthDate: CivilDate?

    public init(
        patientId: String, category: DataCategory, source: String, purpose: PurposeOfUse = .treatment,
        recipient: Recipient? = nil, date: CivilDate, patientBirthDate: CivilDate?
    ) {
        self.patientId = patientId
        self.category = category
        self.source = source
        self.purpose = purpose
        self.recipient = recipient
        self.date = date
        self.patientBirthDate = patientBirthDate
    }

    /// The patient's age in completed years on the request date, when the birth date is known.
    public var patientAge: Int? { patientBirthDate.map { $0.age(on: date) } }
}

extension Provision {
    /// Why this provision (ignoring its children) does not cover a request; nil when it does.
    ///
    /// With no recipient (a warehouse load) an actor-scoped provision covers the request only if it permits:
    /// a permit to some recipient lets data in, a deny to some recipient is enforced at delivery.
    func mismatch(_ request: ConsentRequest) -> String? {
        if let period, !period.contains(request.date) { return "outside its period \(period)" }
        if !categories.isEmpty, !categories.contains(request.category) { return "other data categories" }
        if !securityLabels.isEmpty, securityLabels.isDisjoint(with: request.category.securityLabels) {
            return "other security labels"
        }
        if !resourceClasses.isEmpty, !resourceClasses.contains(deliveredResourceClass) {
            return "other resource classes"
        }
        if !sources.isEmpty, !sources.contains(request.source) { return "other sources" }
        if !purposes.isEmpty, !purposes.contains(request.purpose) { return "other purposes" }
        if !actors.isEmpty {
            if let recipient = request.recipient {
                if !actors.contains(where: { $0.names(recipient) }) { return "other recipients" }
            } else if type == .deny {
                return "a deny to named recipients, enforced at delivery"
            }
        }
        return nil
    }

    /// The effect of this provision on a request, nested exceptions applied; nil when it does not cover it.
    ///
    /// Children that cover the request override the parent; among them a deny wins.
    func effect(_ request: ConsentRequest) -> ProvisionType? {
        guard mismatch(request) == nil else { return nil }
        var result: ProvisionType?
        for child in provisions {
            guard let e = child.effect(request) else { continue }
            if e == .deny { return .deny }
            result = e
        }
        return result ?? type
    }
}

/// Directives grouped by patient, so gate 2 hands each record only its patient's directives.
public struct DirectiveIndex: Sendable {
    private var byPatient: [String: [ConsentDirective]] = [:]

    public init(_ directives: some Sequence<ConsentDirective>) {
        for d in directives { byPatient[d.patientId, default: []].append(d) }
    }

    /// The patient's directives in any status (the gate decides which apply); empty when none.
    public subscript(patientId: String) -> [ConsentDirective] { byPatient[patientId] ?? [] }

    public var patientCount: Int { byPatient.count }
    public var directiveCount: Int { byPatient.values.reduce(0) { $0 + $1.count } }
}
