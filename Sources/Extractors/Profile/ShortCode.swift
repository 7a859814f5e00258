/// The rule for showing a value from a file: only a short code — at most 16 ASCII letters, digits, `-`, `_`
/// or `.`, no spaces — may appear in output; anything else is described by its length. Names, birth dates
/// (`2011-04-17` is short, but date columns never show values) and ids are kept out by column role first.
public enum ShortCode {
    public static let maxLength = 16

    /// True when `value` may be shown as a code.
    public static func isShortCode(_ value: String) -> Bool {
        let bytes = value.utf8
        guard !bytes.isEmpty, bytes.count <= maxLength else { return false }
        return bytes.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D
                || b == 0x5F || b == 0x2E
        }
    }

    /// `value` when it is a short code, else `a value of N characters`.
    public static func display(_ value: String) -> String {
        isShortCode(value) ? value : "a value of \(value.count) character\(value.count == 1 ? "" : "s")"
    }
}
