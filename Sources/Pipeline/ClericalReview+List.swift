import Foundation
import LastMileCore
import Store

extension ClericalReview {
    /// An item as the queue's list shows it: no name, date or id of a person.
    package struct ListedItem: Equatable {
        package var id: Int64
        package var source: String
        package var reason: String
        package var ageDays: Int
        package var probability: Double?
        package var deferred: Bool
    }

    /// The open queue: counts by reason and age bucket, the items, and the wrong-person incidents reported.
    package struct Listing: Equatable {
        package var byReason: [String: Int] = [:]
        package var byAge: [String: Int] = [:]
        package var items: [ListedItem] = []
        package var incidents = 0
    }

    /// Age buckets, youngest first.
    package static let ageBuckets = ["0-1 days", "2-7 days", "8-30 days", "over 30 days"]

    /// The bucket of an age in whole days.
    package static func ageBucket(days: Int) -> String {
        switch days {
        case ...1: ageBuckets[0]
        case 2...7: ageBuckets[1]
        case 8...30: ageBuckets[2]
        default: ageBuckets[3]
        }
    }

    /// The open items (undecided and deferred), optionally of one source or reason; by id, or oldest first.
    package func list(source: String?, reason: String?, oldestFirst: Bool) throws -> Listing {
        let now = clock.now
        var listing = Listing()
        var items = try queue.items(source: source, reason: reason, openOnly: true).map { item in
            ListedItem(
                id: item.id, source: item.source, reason: item.reason,
                ageDays: max(0, Int(now.timeIntervalSince(item.queuedAt) / 86_400)), probability: item.probability,
                deferred: item.resolution == "deferred")
        }
        if oldestFirst { items.sort { ($0.ageDays, -$0.id) > ($1.ageDays, -$1.id) } }
        for item in items {
            listing.byReason[item.reason, default: 0] += 1
            listing.byAge[Self.ageBucket(days: item.ageDays), default: 0] += 1
        }
        listing.items = items
        listing.incidents = try queue.incidentCount()
        return listing
    }

    /// The listing as text: the counts, then one line per item.
    package static func render(_ listing: Listing) -> String {
        var lines = ["open review items: \(listing.items.count)"]
        if !listing.items.isEmpty {
            lines.append(
                "by reason: "
                    + listing.byReason.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                    .joined(separator: ", "))
            lines.append(
                "by age:    " + ageBuckets.map { "\($0) \(listing.byAge[$0] ?? 0)" }.joined(separator: ", "))
        }
        lines.append("wrong-person incidents reported: \(listing.incidents)")
        guard !listing.items.isEmpty else { return lines.joined(separator: "\n") }
        lines.append("")
        lines.append(pad("id", 8) + pad("source", 20) + pad("reason", 28) + pad("age", 10) + "best p")
        for item in listing.items {
            let p = item.probability.map { String(format: "%.3f", $0) } ?? "-"
            lines.append(
                pad(String(item.id), 8) + pad(item.source, 20) + pad(item.reason, 28) + pad("\(item.ageDays) d", 10)
                    + p + (item.deferred ? "  (deferred)" : ""))
        }
        return lines.joined(separator: "\n")
    }

    static func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
    }
}
