import LastMileCore

/// Text from an input file made safe to print on a terminal: control characters (C0, DEL, C1 — the start of
/// escape sequences that can recolour, retitle or rewrite a terminal) and the invisible bidirectional controls
/// that reorder what is shown (U+200E/F, U+202A–E, U+2066–9) become visible `\u{…}` escapes. Everything else is
/// left as it is. For console tables only; JSON output escapes by its own rules.
func terminalSafe(_ text: String) -> String {
    text.replacingScalars(where: isUnsafeOnTerminal) { "\\u{" + String($0.value, radix: 16, uppercase: true) + "}" }
}

private func isUnsafeOnTerminal(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x00...0x1F, 0x7F...0x9F: true
    case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
    default: false
    }
}
