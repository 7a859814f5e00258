/// Sex as recorded by a source; `nil` where unknown, refused or not collected.
public enum Sex: String, Sendable, Hashable, Codable {
    case female = "F"
    case male = "M"
    case other = "X"
}

/// A person as one source knows them: the demographics the matcher compares.
///
/// Every field is optional because every source misses some. Values are as the source gave them, trimmed;
/// normalisation for matching (case, nicknames, phonetic keys) belongs to `Matching`.
/// - Important: personal data. Never log or print a field of this type; log counts and line numbers.
public struct PersonIdentity: Sendable, Hashable, Codable {
    /// The source's own id for the person (student id, HMIS PersonalID, jail person number).
    public var sourcePersonId: String?
    public var givenName: String?
    public var middleName: String?
    public var familyName: String?
    /// Generational suffix as given (Jr, Sr, II …).
    public var suffix: String?
    public var birthDate: CivilDate?
    public var sex: Sex?
    public var street: String?
    public var city: String?
    public var state: String?
    public var postalCode: String?
    public var phone: String?
    /// The full SSN, digits only, when the source has a usable one.
    public var ssn: String?
    /// The last four SSN digits when only those are known (or derived from `ssn`).
    public var ssnLast4: String?

    public init(
        sourcePersonId: String? = nil, givenName: String? = nil, middleName: String? = nil,
        familyName: String? = nil, suffix: String? = nil, birthDate: CivilDate? = nil, sex: Sex? = nil,
        street: String? = nil, city: String? = nil, state: String? = nil, postalCode: String? = nil,
        phone: String? = nil, ssn: String? = nil, ssnLast4: String? = nil
    ) {
        self.sourcePersonId = sourcePersonId
        self.givenName = givenName
        self.middleName = middleName
        self.familyName = familyName
        self.suffix = suffix
        self.birthDate = birthDate
        self.sex = sex
        self.street = street
        self.city = city
        self.state = state
        self.postalCode = postalCode
        self.phone = phone
        self.ssn = ssn
        self.ssnLast4 = ssnLast4
    }
}
