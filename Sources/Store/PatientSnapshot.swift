import Extractors
import Foundation
import LastMileCore
import Logging
import Warehouse

/// The active patients of the MPI snapshot in the warehouse, as the matcher needs them.
package struct PatientSnapshot {
    package var ids: [String] = []
    package var people: [PersonIdentity] = []
    package var index: [String: Int] = [:]

    package func birthDate(of patientId: String) -> CivilDate? { index[patientId].flatMap { people[$0].birthDate } }

    package static func load(_ connection: Connection) throws -> PatientSnapshot {
        var snapshot = PatientSnapshot()
        let rows = try connection.execute(
            """
            SELECT patient_id, given_name, family_name, birth_date, sex, street, city, state, postal_code, phone, ssn
            FROM lastmile.patient WHERE active ORDER BY patient_id
            """
        ).rows
        snapshot.ids.reserveCapacity(rows.count)
        snapshot.people.reserveCapacity(rows.count)
        for row in rows {
            guard let id = row["patient_id"] else { continue }
            snapshot.index[id] = snapshot.ids.count
            snapshot.ids.append(id)
            snapshot.people.append(
                PersonIdentity(
                    sourcePersonId: id, givenName: row["given_name"], familyName: row["family_name"],
                    birthDate: row.date("birth_date"), sex: row["sex"].flatMap(Sex.init(rawValue:)),
                    street: row["street"], city: row["city"], state: row["state"], postalCode: row["postal_code"],
                    phone: row["phone"], ssn: row["ssn"]))
        }
        return snapshot
    }
}
