// Benchmark driver for bench/extract.sh: extracts one attendance file to SourceRecords with the built-in
// school-attendance extractor (default layout) and prints throughput and peak RSS. Not part of the tool.
import Extractors
import Foundation
import LastMileCore

/// Keeps a checksum of every record so the work cannot be optimised away, and stores nothing.
struct CountingSink: RecordSink {
    var records = 0
    var rejected = 0
    var checksum = 0

    mutating func accept(_ record: SourceRecord) {
        records += 1
        if case .attendance(let day) = record.event {
            checksum &+= day.date.dayNumber &+ day.status.rawValue.utf8.count
        }
        checksum &+= (record.person.familyName?.utf8.count ?? 0) &+ (record.person.birthDate?.dayNumber ?? 0)
    }

    mutating func reject(_ rejection: RowRejection, raw: RawRow?) { rejected += 1 }
}

let arguments = CommandLine.arguments
guard arguments.count == 2 || (arguments.count == 3 && arguments[1] == "--rows-only") else {
    FileHandle.standardError.write(Data("usage: lastmile-bench-extract [--rows-only] FILE\n".utf8))
    exit(64)
}
let path = arguments.last!
let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
var sink = CountingSink()
/// CPU seconds of this process: steadier than wall time on a machine shared with other work.
func cpuSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}
let cpuStart = cpuSeconds()
let clock = ContinuousClock()
let elapsed: Duration
if arguments.count == 3 {
    // The CSV layer alone: rows and field bytes, no records.
    elapsed = try clock.measure {
        let reader = try CSVReader(path: path)
        while let row = try reader.nextRow() {
            sink.records += 1
            for i in 0..<row.fieldCount { sink.checksum &+= row.bytes(i).count }
        }
    }
} else {
    let extractor = try ExtractorRegistry.makeExtractor(for: .defaults(for: "school-attendance"))
    elapsed = try clock.measure { try extractor.extract(InputLocation(path: path), into: &sink) }
}
let cpu = cpuSeconds() - cpuStart
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
print(
    String(
        format:
            "ours_cpu_mb_s=%.1f ours_wall_mb_s=%.1f records=%d rejected=%d "
            + "cpu_seconds=%.3f peak_rss_mb=%.1f checksum=%d",
        Double(bytes) / cpu / 1e6, Double(bytes) / seconds / 1e6, sink.records, sink.rejected, cpu,
        Double(usage.ru_maxrss) / 1024, sink.checksum))
