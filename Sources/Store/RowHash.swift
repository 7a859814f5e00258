import Crypto
import Foundation
import Warehouse

/// An event row's content hash (migration 15's `row_hash`): the first 16 bytes of the SHA-256 of the row as the
/// loader writes it, in COPY text form, without the file it came from. Two rows of one table with the same hash
/// have the same key, patient and compared values (a collision among a warehouse's rows has a probability of
/// about n² / 2¹²⁹, below 10⁻²⁴ for a billion rows).
package struct RowHash: Hashable, Sendable {
    private let high: UInt64
    private let low: UInt64

    /// The column every event table keeps it in.
    package static let column = "row_hash"

    /// The hash of no bytes: a placeholder in an array being filled.
    package static let none = RowHash(of: UnsafeRawBufferPointer(start: nil, count: 0))

    /// The hash of one row's bytes.
    package init(of bytes: UnsafeRawBufferPointer) {
        let digest = SHA256.hash(data: bytes)
        (high, low) = digest.withUnsafeBytes { d in
            (d.loadUnaligned(fromByteOffset: 0, as: UInt64.self), d.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
    }

    /// Reads 32 hexadecimal digits (lower or upper case); nil for anything else.
    package init?(hex digits: UnsafeBufferPointer<UInt8>) {
        guard digits.count == 32 else { return nil }
        var bytes: (UInt64, UInt64) = (0, 0)
        let parsed = withUnsafeMutableBytes(of: &bytes) { out -> Bool in
            for i in 0..<16 {
                guard let hi = Self.nibble(digits[2 * i]), let lo = Self.nibble(digits[2 * i + 1]) else { return false }
                out[i] = hi << 4 | lo
            }
            return true
        }
        guard parsed else { return nil }
        (high, low) = bytes
    }

    /// Appends the hash as a `bytea` field in COPY text form (`\\x` and 32 hexadecimal digits).
    package func append(to writer: inout CopyWriter) throws {
        var bytes = (high, low)
        try withUnsafeBytes(of: &bytes) { raw in
            try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 34) { text in
                text[0] = UInt8(ascii: "\\")
                text[1] = UInt8(ascii: "x")
                for (i, byte) in raw.enumerated() {
                    text[2 + 2 * i] = Self.hexDigits[Int(byte >> 4)]
                    text[3 + 2 * i] = Self.hexDigits[Int(byte & 0x0F)]
                }
                try writer.append(utf8: UnsafeBufferPointer(text))
            }
        }
    }

    /// The hashes of every row of a text of concatenated 32-digit hashes (as `encode(…, 'hex')` returns them).
    package static func set(fromHex text: String) -> Set<RowHash> {
        var text = text
        return text.withUTF8 { utf8 in
            var hashes = Set<RowHash>(minimumCapacity: utf8.count / 32)
            var offset = 0
            while offset + 32 <= utf8.count {
                if let hash = RowHash(hex: UnsafeBufferPointer(rebasing: utf8[offset..<offset + 32])) {
                    hashes.insert(hash)
                }
                offset += 32
            }
            return hashes
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
