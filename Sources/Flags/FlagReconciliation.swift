import LastMileCore

/// Closes stored flags that a new derivation no longer produces, so the warehouse never keeps a stale active
/// flag (a corrected entry date moves a period start; last year's absenteeism flag has no successor).
public enum FlagReconciliation {
    /// The flags to upsert: every derived flag, plus each stored active flag of an evaluated source whose key
    /// was not derived again, now `inactive` with `periodEnd` = `asOf`.
    ///
    /// - Parameters:
    ///   - stored: the patient's flags as the warehouse holds them.
    ///   - derived: `FlagDeriver.flags(for:asOf:)` for the same patient.
    ///   - sources: the sources this run evaluated; nil for all. A run limited with `--source` must pass its
    ///     sources, or it would close the flags of every other source.
    public static func upserts(stored: [Flag], derived: [Flag], sources: Set<String>?, asOf: CivilDate) -> [Flag] {
        let derivedKeys = Set(derived.map(\.key))
        var out = derived
        for flag in stored
        where flag.status == .active && !derivedKeys.contains(flag.key) && (sources?.contains(flag.source) ?? true) {
            var closed = flag
            closed.status = .inactive
            closed.periodEnd = max(asOf, flag.periodStart)
            out.append(closed)
        }
        return out.sorted(by: Flag.derivationOrder)
    }
}
