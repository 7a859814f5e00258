// Proves that a built MPI index orders its patients by the UTF-8 bytes of their ids however the rows arrive
// (the warehouse's cursor sends them unsorted), ids that share their first 8 bytes and ids with NUL bytes included.
import Foundation
import LastMileCore
import Testing

@testable import Matching

@Suite struct MPIIndexOrderTests {
    @Test func idsSharingTheirFirstEightBytesAreInByteOrder() {
        let ids = [
            "PATIENT-0002", "PATIENT-0001", "PATIENT-", "PATIENT", "PATIENT\u{0}", "PATIENT-0001\u{0}", "PATIENTS",
            "PATIENT\u{0}X", "P", "Q", "", "PATIENT-0001é", "PATIENT-0001e", "X000001", "P000002", "PATIENT\u{0}\u{0}",
        ]
        let index = MPIIndexTests.built(MPIIndexTests.rows(Array(MPIIndexTests.world.mpi.prefix(ids.count)), ids: ids))
        let expected = ids.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        #expect(index.ids == expected)
        for id in ids { #expect(index.ids[index.position(of: id) ?? -1] == id) }
    }

    @Test func theHeadOrdersAsTheBytesOrTies() {
        let ids = ["", "\u{0}", "A", "A\u{0}", "AB", "ABCDEFGH", "ABCDEFGHI", "ABCDEFGG\u{FF}", "é", "Z"]
        for a in ids {
            for b in ids {
                let (ha, hb) = (MPIIndexBuilder.head(a), MPIIndexBuilder.head(b))
                if ha < hb { #expect(MPIIndex.precedes(a, b), "\(a.debugDescription) < \(b.debugDescription)") }
                if MPIIndex.precedes(a, b) { #expect(ha <= hb, "\(a.debugDescription) \(b.debugDescription)") }
            }
        }
    }
}
