// NYSIIS (New York State Identification and Intelligence System) phonetic code, the original 1970 rules.
// Chosen over Soundex because it keeps vowel positions and was designed for American names.

/// Phonetic keys for normalised names.
public enum Phonetic {
    /// The NYSIIS code of an upper-case ASCII name (letters only; other bytes are ignored), at most 8 letters.
    public static func nysiis(_ name: String) -> String {
        var chars = name.utf8.filter { $0 >= 65 && $0 <= 90 }
        if chars.isEmpty { return "" }
        func hasPrefix(_ p: String) -> Bool { chars.starts(with: p.utf8) }
        func hasSuffix(_ s: String) -> Bool {
            chars.count >= s.utf8.count && Array(chars.suffix(s.utf8.count)) == Array(s.utf8)
        }
        func replacePrefix(_ n: Int, _ with: String) { chars.replaceSubrange(0..<n, with: with.utf8) }
        func replaceSuffix(_ n: Int, _ with: String) {
            chars.replaceSubrange((chars.count - n)..<chars.count, with: with.utf8)
        }
        if hasPrefix("MAC") {
            replacePrefix(3, "MCC")
        } else if hasPrefix("KN") {
            replacePrefix(2, "NN")
        } else if hasPrefix("K") {
            replacePrefix(1, "C")
        } else if hasPrefix("PH") || hasPrefix("PF") {
            replacePrefix(2, "FF")
        } else if hasPrefix("SCH") {
            replacePrefix(3, "SSS")
        }
        if hasSuffix("EE") || hasSuffix("IE") {
            replaceSuffix(2, "Y")
        } else if hasSuffix("DT") || hasSuffix("RT") || hasSuffix("RD") || hasSuffix("NT") || hasSuffix("ND") {
            replaceSuffix(2, "D")
        }
        let letterA: UInt8 = 65
        func isVowel(_ c: UInt8) -> Bool { c == 65 || c == 69 || c == 73 || c == 79 || c == 85 }
        var key: [UInt8] = [chars[0]]
        var i = 1
        while i < chars.count {
            let c = chars[i]
            let next: UInt8 = i + 1 < chars.count ? chars[i + 1] : 0
            var out: [UInt8]
            switch c {
            case 69 where next == 86:  // EV -> AF
                out = [letterA, 70]
                chars[i + 1] = 70
            case _ where isVowel(c): out = [letterA]
            case 81: out = [71]  // Q -> G
            case 90: out = [83]  // Z -> S
            case 77: out = [78]  // M -> N
            case 75: out = next == 78 ? [78] : [67]  // KN -> N, K -> C
            case 83 where next == 67 && i + 2 < chars.count && chars[i + 2] == 72:  // SCH -> SSS
                out = [83, 83, 83]
                chars[i + 1] = 83
                chars[i + 2] = 83
            case 80 where next == 72:  // PH -> FF
                out = [70, 70]
                chars[i + 1] = 70
            case 72:  // H after or before a non-vowel takes the previous letter
                let prev = chars[i - 1]
                out = (!isVowel(prev) || (next != 0 && !isVowel(next))) ? [prev] : [c]
            case 87 where isVowel(chars[i - 1]): out = [chars[i - 1]]  // W after a vowel
            default: out = [c]
            }
            chars[i] = out[0]
            for o in out where key.last != o { key.append(o) }
            i += 1
        }
        if key.count > 1 && key.last == 83 { key.removeLast() }  // trailing S
        if key.count > 1 && key.suffix(2) == [letterA, 89] {
            key.removeLast(2)
            key.append(89)
        }  // AY -> Y
        if key.count > 1 && key.last == letterA { key.removeLast() }  // trailing A
        return String(decoding: key.prefix(8), as: UTF8.self)
    }
}
