import ArgumentParser
import Foundation
import GatewayConfig

/// `portcullis certs ...`: certificate tooling; a group so later commands (e.g. inspect) have a home.
struct Certs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Certificate tools.",
        subcommands: [Dev.self])

    /// `portcullis certs dev NAME... [--dir certs]`: local development certificates signed by a local CA.
    struct Dev: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a development certificate for NAMEs, signed by a local CA created on first use.",
            discussion: """
                Creates DIR/\(DevCertificateAuthority.caCertificateFileName) and its key if absent, then writes \
                DIR/<first name>.crt (leaf + CA) and DIR/<first name>.key (mode 0600). IP addresses become IP \
                SANs; "*.example.test" becomes _wildcard.example.test. For local use only, never production.
                """)

        @Argument(help: ArgumentHelp("DNS names, *.wildcards or IP addresses the certificate is for.", valueName: "name"))
        var names: [String]

        @Option(help: "Directory holding the CA and the issued files.")
        var dir: String = "certs"

        func run() throws {
            let files: DevCertificateFiles
            do {
                files = try DevCertificateAuthority.issue(names: names, directory: dir)
            } catch let error as DevCertificateError {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(1)
            }
            let ca = display(files.caCertificatePath)
            if files.createdCA {
                print("created development CA  \(ca)")
                print("                   key  \(display(files.caKeyPath)) (keep private)")
            } else {
                print("using development CA    \(ca)")
            }
            print("certificate             \(display(files.certificatePath)) (leaf + CA)")
            print("key                     \(display(files.keyPath))")
            print("names                   \(files.names.joined(separator: ", "))")
            print("valid until             \(files.notAfter.formatted(.iso8601))")
            print("")
            print("Trust the CA (once per machine) so clients accept these certificates:")
            print("  Debian/Ubuntu: sudo cp \(ca) /usr/local/share/ca-certificates/portcullis-dev-ca.crt && sudo update-ca-certificates")
            print("  macOS:         sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain \(ca)")
            print("  curl only:     curl --cacert \(ca) https://\(files.names[0].hasPrefix("*.") ? "x" + files.names[0].dropFirst() : files.names[0]):8443/")
            print("Only trust a CA whose key never left this machine (not one committed to git).")
            print("Development certificates: for local use only, never in production.")
        }

        /// Paths under the current directory print relative, as the user typed them.
        private func display(_ path: String) -> String {
            let cwd = FileManager.default.currentDirectoryPath + "/"
            return path.hasPrefix(cwd) ? String(path.dropFirst(cwd.count)) : path
        }
    }
}
