extension String {
    /// This text with every Unicode scalar that `matches` written as `replacement(scalar)` instead; the text
    /// itself when none matches. For making invisible or dangerous characters visible in output.
    public func replacingScalars(
        where matches: (Unicode.Scalar) -> Bool, with replacement: (Unicode.Scalar) -> String
    ) -> String {
        guard unicodeScalars.contains(where: matches) else { return self }
        var out = ""
        out.reserveCapacity(utf8.count + 8)
        for scalar in unicodeScalars {
            if matches(scalar) {
                out += replacement(scalar)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
