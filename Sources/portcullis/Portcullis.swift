import ArgumentParser

@main
struct Portcullis: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portcullis",
        abstract: "A self-hosted API gateway configured by one gateway.json.",
        subcommands: [Serve.self, Check.self, Certs.self, Keys.self, LoadTestCommand.self, Schema.self],
        defaultSubcommand: Serve.self)
}
