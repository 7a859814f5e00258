// Every raw libpq call of the module, as thin wrappers, so that no other file touches a C type or pointer.
// Each wrapper names the libpq function it calls.
internal import CLibPQ
import Foundation

/// An owned `PGconn*`.
struct PQConnectionHandle {
    let raw: OpaquePointer

    /// Calls `PQconnectdb` (accepts a `postgresql://` URL or a `key=value` conninfo). Never returns nil.
    static func connect(_ conninfo: String) -> PQConnectionHandle? {
        guard let raw = PQconnectdb(conninfo) else { return nil }
        return PQConnectionHandle(raw: raw)
    }

    /// Calls `PQstatus` and compares with `CONNECTION_OK`.
    var isOK: Bool { PQstatus(raw) == CONNECTION_OK }

    /// Calls `PQerrorMessage`.
    var errorMessage: String { PQerrorMessage(raw).map { String(cString: $0) } ?? "" }

    /// Calls `PQserverVersion` (e.g. 150018).
    var serverVersion: Int { Int(PQserverVersion(raw)) }

    /// Calls `PQfinish`.
    func finish() { PQfinish(raw) }

    /// Calls `PQexec` (simple-query protocol: may run several statements; no parameters).
    func exec(_ sql: String) -> PQResultHandle? { PQexec(raw, sql).map(PQResultHandle.init(raw:)) }

    /// Calls `PQexecParams` with every parameter sent as text with server-inferred type (OID 0).
    func execParams(_ sql: String, _ params: [String?]) -> PQResultHandle? {
        var cStrings: [UnsafeMutablePointer<CChar>?] = params.map { $0.flatMap { strdup($0) } }
        defer { for pointer in cStrings { free(pointer) } }
        let result = cStrings.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(1, buffer.count)) {
                values in
                PQexecParams(raw, sql, Int32(params.count), nil, params.isEmpty ? nil : values, nil, nil, 0)
            }
        }
        return result.map(PQResultHandle.init(raw:))
    }

    /// Calls `PQputCopyData`; returns 1 when queued, -1 on error.
    func putCopyData(_ bytes: UnsafeRawPointer, count: Int) -> Int32 {
        PQputCopyData(raw, bytes.assumingMemoryBound(to: CChar.self), Int32(count))
    }

    /// Calls `PQputCopyEnd`; a non-nil `errorMessage` aborts the COPY on the server.
    func putCopyEnd(errorMessage: String?) -> Int32 {
        if let errorMessage { return PQputCopyEnd(raw, errorMessage) }
        return PQputCopyEnd(raw, nil)
    }

    /// Calls `PQgetResult`; nil once the command's results are drained.
    func nextResult() -> PQResultHandle? { PQgetResult(raw).map(PQResultHandle.init(raw:)) }

    /// Calls `PQtransactionStatus` and reports whether a transaction block is open (or aborted).
    var isInTransaction: Bool {
        let status = PQtransactionStatus(raw)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    /// Calls `PQsetNoticeProcessor` with a processor that discards notices (they may quote data values).
    func silenceNotices() {
        PQsetNoticeProcessor(raw, { _, _ in }, nil)
    }

    /// Calls `PQparameterStatus`.
    func parameterStatus(_ name: String) -> String? { PQparameterStatus(raw, name).map { String(cString: $0) } }
}

/// An owned `PGresult*`.
struct PQResultHandle {
    let raw: OpaquePointer

    enum Status {
        case commandOK, tuplesOK, copyIn, copyOut, emptyQuery, fatalError, nonfatalError, other
    }

    /// Calls `PQresultStatus`.
    var status: Status {
        switch PQresultStatus(raw) {
        case PGRES_COMMAND_OK: .commandOK
        case PGRES_TUPLES_OK: .tuplesOK
        case PGRES_COPY_IN: .copyIn
        case PGRES_COPY_OUT: .copyOut
        case PGRES_EMPTY_QUERY: .emptyQuery
        case PGRES_FATAL_ERROR: .fatalError
        case PGRES_NONFATAL_ERROR: .nonfatalError
        default: .other
        }
    }

    /// Calls `PQclear`.
    func clear() { PQclear(raw) }

    /// Calls `PQntuples`.
    var rowCount: Int { Int(PQntuples(raw)) }
    /// Calls `PQnfields`.
    var columnCount: Int { Int(PQnfields(raw)) }
    /// Calls `PQfname`.
    func columnName(_ column: Int) -> String { PQfname(raw, Int32(column)).map { String(cString: $0) } ?? "" }
    /// Calls `PQgetisnull` and `PQgetvalue`/`PQgetlength` (text format).
    func value(row: Int, column: Int) -> String? {
        if PQgetisnull(raw, Int32(row), Int32(column)) == 1 { return nil }
        guard let pointer = PQgetvalue(raw, Int32(row), Int32(column)) else { return nil }
        let length = Int(PQgetlength(raw, Int32(row), Int32(column)))
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }
    /// Calls `PQcmdTuples` (rows affected by INSERT/UPDATE/DELETE/COPY), nil when not applicable.
    var affectedRows: Int? { PQcmdTuples(raw).flatMap { Int(String(cString: $0)) } }
    /// Calls `PQcmdStatus` (e.g. "COMMIT", "ROLLBACK").
    var commandStatus: String { PQcmdStatus(raw).map { String(cString: $0) } ?? "" }

    /// Calls `PQresultErrorField` for the fields a `WarehouseError` keeps.
    var serverError: ServerErrorFields {
        func field(_ code: Int32) -> String? {
            PQresultErrorField(raw, code).map { String(cString: $0) }
        }
        return ServerErrorFields(
            sqlState: field(Int32(UInt8(ascii: "C"))) ?? "XX000",
            severity: field(Int32(UInt8(ascii: "V"))) ?? field(Int32(UInt8(ascii: "S"))) ?? "ERROR",
            message: field(Int32(UInt8(ascii: "M"))) ?? PQresultErrorMessage(raw).map { String(cString: $0) } ?? "",
            detail: field(Int32(UInt8(ascii: "D"))),
            hint: field(Int32(UInt8(ascii: "H"))),
            schema: field(Int32(UInt8(ascii: "s"))),
            table: field(Int32(UInt8(ascii: "t"))),
            column: field(Int32(UInt8(ascii: "c"))),
            constraint: field(Int32(UInt8(ascii: "n"))))
    }
}

/// Calls `PQconninfoParse` and returns the keywords and values of a URL or conninfo string, or libpq's
/// error text when it does not parse.
func parseConninfo(_ conninfo: String) -> Result<[(keyword: String, value: String)], ConninfoSyntaxError> {
    var errorPointer: UnsafeMutablePointer<CChar>?
    guard let options = PQconninfoParse(conninfo, &errorPointer) else {
        let message = errorPointer.map { String(cString: $0) } ?? "invalid connection string"
        if let errorPointer { PQfreemem(errorPointer) }
        return .failure(ConninfoSyntaxError(message: message))
    }
    defer { PQconninfoFree(options) }
    var pairs: [(String, String)] = []
    var cursor = options
    while let keyword = cursor.pointee.keyword {
        if let value = cursor.pointee.val { pairs.append((String(cString: keyword), String(cString: value))) }
        cursor += 1
    }
    return .success(pairs)
}

struct ConninfoSyntaxError: Error {
    var message: String
}
