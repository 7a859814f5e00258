// Proves that a warehouse URL with sslmode=verify-full works against a server whose certificate is signed by
// the CA the client names, and is refused when the CA or the host name does not match.
import Foundation
import TestSupport
import Testing
import Warehouse

@Suite(.serialized) struct TLSTests {
    /// Runs openssl with arguments, in `directory`; fails the test on a non-zero exit.
    func openssl(_ arguments: [String], in directory: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "openssl \(arguments.first ?? "")")
    }

    /// A self-signed CA and a server certificate for `localhost` signed by it; plus an unrelated CA.
    func makeCertificates(in dir: URL) throws {
        try openssl(
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=lastmile test CA",
                "-keyout", "ca.key", "-out", "ca.pem",
            ], in: dir)
        try openssl(
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=other CA",
                "-keyout", "other.key", "-out", "other.pem",
            ], in: dir)
        try openssl(
            [
                "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key",
                "-out", "server.csr",
            ], in: dir)
        try "subjectAltName=DNS:localhost\n".write(
            to: dir.appendingPathComponent("san.ext"), atomically: true, encoding: .utf8)
        try openssl(
            [
                "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-extfile", "san.ext", "-out", "server.pem",
            ], in: dir)
    }

    @Test func verifyFullAgainstALocalServerWithASelfSignedCA() throws {
        let directory = try TemporaryDirectory()
        let certs = directory.url.appendingPathComponent("certs")
        try FileManager.default.createDirectory(at: certs, withIntermediateDirectories: true)
        try makeCertificates(in: certs)
        let port = Int.random(in: 20_000...40_000)
        var cluster = EmbeddedCluster(
            stateDirectory: directory.url.appendingPathComponent(".lastmile"), throwaway: true)
        cluster.port = port
        cluster.listenAddresses = "127.0.0.1"
        cluster.additionalAuthentication = "hostssl all all 127.0.0.1/32 trust"
        cluster.additionalSettings = """
            ssl = on
            ssl_cert_file = 'server.pem'
            ssl_key_file = 'server.key'
            """
        defer { try? cluster.destroy() }
        // initdb first (start creates it), then place the certificate pair in the data directory.
        _ = try? cluster.start()
        try cluster.stop()
        let layout = try #require(try cluster.existingLayout())
        for file in ["server.pem", "server.key"] {
            let target = layout.dataDirectory + "/" + file
            try? FileManager.default.removeItem(atPath: target)
            try FileManager.default.copyItem(atPath: certs.appendingPathComponent(file).path, toPath: target)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: target)
            if let user = layout.serverUser, let entry = getpwnam(user) {
                chown(target, entry.pointee.pw_uid, entry.pointee.pw_gid)
            }
        }
        try cluster.start()

        let base = "host=localhost port=\(port) user=lastmile dbname=postgres connect_timeout=5"
        let verified = try Connection(base + " sslmode=verify-full sslrootcert=\(certs.path)/ca.pem")
        #expect(try verified.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").scalar == "t")

        let wrongCA = try #require(throws: WarehouseError.self) {
            try Connection(base + " sslmode=verify-full sslrootcert=\(certs.path)/other.pem")
        }
        #expect(wrongCA.exitStatus == .unavailable)
        #expect(wrongCA.description.contains("certificate"))

        // The certificate names localhost, not 127.0.0.1: verify-full checks the host name too.
        let wrongHost = try #require(throws: WarehouseError.self) {
            try Connection(
                "host=127.0.0.1 port=\(port) user=lastmile dbname=postgres "
                    + "sslmode=verify-full sslrootcert=\(certs.path)/ca.pem"
            )
        }
        #expect(wrongHost.exitStatus == .unavailable)
    }
}
