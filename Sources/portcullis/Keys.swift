import ArgumentParser
import GatewayCore

/// `portcullis keys new [--name NAME]`: a fresh API key and its SHA-256, as one JSON line.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "API key tools.",
        subcommands: [New.self])

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a new random API key as {\"name\", \"value\", \"sha256\"}.",
            discussion: """
                The value is shown only here: put its sha256 in gateway.json's "apiKeys" ({"name", "sha256", \
                "plan"}) and give the value to the client, which sends it in the x-api-key header.
                """)

        @Option(help: "The key's name (default: key- and the first 8 digits of its sha256).")
        var name: String?

        func run() throws {
            let value = APIKeyGenerator.newValue()
            let digest = KeyDigest(of: value.utf8).hex
            var line: [UInt8] = Array(#"{"name":"#.utf8)
            JSONEscaping.appendQuoted(name ?? "key-" + digest.prefix(8), to: &line)
            line.append(contentsOf: #","value":"#.utf8)
            JSONEscaping.appendQuoted(value, to: &line)
            line.append(contentsOf: #","sha256":"#.utf8)
            JSONEscaping.appendQuoted(digest, to: &line)
            line.append(contentsOf: "}\n".utf8)
            print(String(decoding: line, as: UTF8.self), terminator: "")
        }
    }
}
