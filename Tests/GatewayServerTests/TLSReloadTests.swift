import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import Testing
@testable import GatewayServer

extension GatewayServerTests {
    /// Certificate reloads as a connection sees them: the certificate and the names its 421 check uses come from
    /// one published value, and the file watcher never forgets a change that a failed reload did not load.
    @Suite struct TLSReload {
        static func config(cert: String, key: String) -> String {
            #"""
            { "listen": { "http": "127.0.0.1:0", "https": "127.0.0.1:0" }, "admin": { "listen": "127.0.0.1:0" },
              "tls": { "certificates": [ { "cert": "\#(cert)", "key": "\#(key)" } ] },
              "apis": [ { "name": "test", "routes": [
                { "route": "GET /ping", "integration": { "type": "mock", "body": "pong" } } ] } ] }
            """#
        }

        /// Replaces a file's bytes in place (same inode), as `cp` or a renewal client writing over it does.
        static func overwrite(_ path: String, with text: String) throws {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.truncate(atOffset: 0)
            try handle.write(contentsOf: Data(text.utf8))
            try handle.close()
        }

        /// The race the old code lost: a reload swaps the certificates while the gateway's only event loop is about
        /// to read a ClientHello. The loop is held inside another connection's read (so the ClientHello waits in the
        /// same batch of ready sockets) while the reload runs; the handshake then must present the new
        /// certificate AND check hosts against its names. Before, the names came from the loop's snapshot, which
        /// the reload had not reached yet: new certificate, old names, and a 421 for the new certificate's own host.
        @Test func aHandshakeDuringAReloadGetsTheCertificateAndNamesOfOneGeneration() async throws {
            let directory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let old = try ExternalTool.makeCertificate(names: ["a.test"], directory: directory, file: "a")
            let new = try ExternalTool.makeCertificate(names: ["b.test"], directory: directory, file: "b")
            let live = (cert: directory + "/live.crt", key: directory + "/live.key")
            try FileManager.default.copyItem(atPath: old.cert, toPath: live.cert)
            try FileManager.default.copyItem(atPath: old.key, toPath: live.key)
            let newCertificate = try NIOSSLCertificate.fromPEMFile(new.cert)[0].toDERBytes()

            let gateway = try await TestGateway.start(Self.config(cert: live.cert, key: live.key), eventLoops: 1)
            let runtime = gateway.runtime
            let outcome: (response: String, presented: [UInt8]?)
            do {
                let port = try #require(runtime.httpsAddress?.port)
                outcome = try await onThread {
                    try Self.handshakeDuringReload(runtime: runtime, httpsPort: port, serverName: "b.test") {
                        try Self.overwrite(live.cert, with: String(contentsOfFile: new.cert, encoding: .utf8))
                        try Self.overwrite(live.key, with: String(contentsOfFile: new.key, encoding: .utf8))
                        guard case .reloaded = runtime.reload() else { throw TestGatewayError(description: "reload rejected") }
                    }
                }
            } catch {
                await gateway.stop()
                throw error
            }
            await gateway.stop()
            let (response, presented) = outcome
            #expect(presented == newCertificate, "the handshake after the reload presents the new certificate")
            #expect(response.hasPrefix("HTTP/1.1 200"), "b.test is covered by the certificate presented: \(response)")
        }

        /// Connects a TLS client to `httpsPort` whose ClientHello is held back, parks the gateway's event loop in a
        /// read of another connection with the ClientHello ready behind it, runs `reload` there, then lets the loop
        /// go on and finishes the exchange. Returns the response and the DER of the certificate presented.
        static func handshakeDuringReload(runtime: GatewayRuntime, httpsPort: Int, serverName: String,
                                          reload: () throws -> Void) throws -> (response: String, presented: [UInt8]?) {
            let loop = runtime.group.next()
            let blocker = BlockingReader()
            let blockerServer = try ServerBootstrap(group: loop)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(blocker) }
                }
                .bind(host: "127.0.0.1", port: 0).wait()
            defer { try? blockerServer.close().wait() }
            let trigger = try RawClient(port: blockerServer.localAddress!.port!)

            let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            defer { try? clientGroup.syncShutdownGracefully() }
            let presented = Mutex<[UInt8]?>(nil)
            let collector = Collector()
            let hold = HoldWrites()
            let context = try NIOSSLContext(configuration: .makeClientConfiguration())
            let client = try ClientBootstrap(group: clientGroup)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        try sync.addHandler(hold)
                        try sync.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName,
                                                                customVerificationCallback: { chain, promise in
                            presented.withLock { $0 = try? chain.first?.toDERBytes() }
                            promise.succeed(.certificateVerified)
                        }))
                        try sync.addHandler(collector)
                    }
                }
                .connect(host: "127.0.0.1", port: httpsPort).wait()
            defer { try? client.close().wait() }
            // The gateway's loop must have accepted both connections (and so registered them for reading) before
            // it is parked: wait until neither listening socket has a connection left in its accept queue.
            let accepted = Date().addingTimeInterval(10)
            while acceptQueueLength(port: httpsPort) != 0 || acceptQueueLength(port: blockerServer.localAddress!.port!) != 0 {
                guard Date() < accepted else { throw TestGatewayError(description: "connections were not accepted") }
                Thread.sleep(forTimeInterval: 0.01)
            }

            // 1. Park the loop in a task; make the trigger byte, then the ClientHello, ready on their sockets.
            let taskRunning = DispatchSemaphore(value: 0), endTask = DispatchSemaphore(value: 0)
            loop.execute { taskRunning.signal(); endTask.wait() }
            taskRunning.wait()
            try trigger.send("x")
            Thread.sleep(forTimeInterval: 0.05)
            // `release` writes and flushes on the client's loop: once it returns the ClientHello is in the socket.
            try client.eventLoop.submit { hold.release() }.wait()
            Thread.sleep(forTimeInterval: 0.05)
            // 2. The loop wakes with both sockets ready and stops in the trigger's read, the ClientHello next.
            endTask.signal()
            guard blocker.entered.wait(timeout: .now() + 10) == .success else {
                blocker.release.signal()
                throw TestGatewayError(description: "the event loop never read the trigger")
            }
            // 3. Reload while the loop is parked, then let it read the ClientHello.
            do { try reload() } catch {
                blocker.release.signal()
                throw error
            }
            blocker.release.signal()

            try client.writeAndFlush(ByteBuffer(string: "GET /ping HTTP/1.1\r\nHost: \(serverName)\r\nConnection: close\r\n\r\n")).wait()
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline, !collector.text.contains("\r\n\r\n") { Thread.sleep(forTimeInterval: 0.01) }
            return (collector.text, presented.withLock { $0 })
        }

        /// A renewal caught half written fails the reload; the rest of the key lands while that reload runs. The
        /// next check must still load it: the watcher compares with the files of the last successful load.
        @Test func aKeyCompletedDuringAFailedReloadIsPickedUpByTheNextCheck() async throws {
            let directory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let old = try ExternalTool.makeCertificate(names: ["localhost"], directory: directory, file: "old")
            let renewed = try ExternalTool.makeCertificate(names: ["localhost"], directory: directory, file: "renewed")
            let live = (cert: directory + "/live.crt", key: directory + "/live.key")
            try FileManager.default.copyItem(atPath: old.cert, toPath: live.cert)
            try FileManager.default.copyItem(atPath: old.key, toPath: live.key)
            let oldPrint = try TLSListener.fingerprint(file: old.cert)
            let newPrint = try TLSListener.fingerprint(file: renewed.cert)
            try #require(oldPrint != newPrint)

            try await withGateway(Self.config(cert: live.cert, key: live.key)) { gateway in
                let runtime = gateway.runtime
                let port = try #require(runtime.httpsAddress?.port)
                var watcher = CertificateFileWatcher(settings: runtime.snapshot.settings.tls)
                // Nothing changed yet: nothing to do.
                var reloads = 0
                runtime.checkCertificateFiles(&watcher, reload: { reloads += 1; return runtime.reload() })
                #expect(reloads == 0)

                let key = try String(contentsOfFile: renewed.key, encoding: .utf8)
                try Self.overwrite(live.cert, with: String(contentsOfFile: renewed.cert, encoding: .utf8))
                try Self.overwrite(live.key, with: String(key.prefix(key.count / 2)))
                var first: GatewayRuntime.ReloadResult?
                runtime.checkCertificateFiles(&watcher, reload: {
                    let result = runtime.reload()
                    first = result
                    try? Self.overwrite(live.key, with: key)  // completed while the failed reload runs
                    return result
                })
                guard case .some(.rejected(let diagnostics)) = first else {
                    Issue.record("the half-written key must be rejected, got \(String(describing: first))")
                    return
                }
                #expect(diagnostics.contains { $0.pointer.hasPrefix("/tls/certificates/0") }, "\(diagnostics)")
                #expect(try TLSListener.fingerprint(port: port) == oldPrint, "the running certificate stays")

                // The next check: the files differ from the last successful load, so it reloads them.
                runtime.checkCertificateFiles(&watcher, reload: { reloads += 1; return runtime.reload() })
                #expect(reloads == 1)
                #expect(try TLSListener.fingerprint(port: port) == newPrint, "the completed key is picked up")
                // And then it is settled: no more reloads.
                runtime.checkCertificateFiles(&watcher, reload: { reloads += 1; return runtime.reload() })
                #expect(reloads == 1)
            }
        }
    }
}

/// Connections waiting in the accept queue of the IPv4 loopback listener on `port` (the rx_queue of a LISTEN row in
/// /proc/net/tcp), or nil if there is no such listener.
private func acceptQueueLength(port: Int) -> Int? {
    guard let table = try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8) else { return nil }
    let local = String(format: "0100007F:%04X", port)
    for line in table.split(separator: "\n").dropFirst() {
        let fields = line.split(separator: " ")
        guard fields.count > 4, fields[1] == local, fields[3] == "0A" else { continue }
        return fields[4].split(separator: ":").last.flatMap { Int($0, radix: 16) }
    }
    return nil
}

/// Parks the event loop that reads it until `release` is signalled (a test's stand-in for a slow handler).
private final class BlockingReader: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let entered = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        entered.signal()
        release.wait()
    }
}

/// Holds every outbound write until `release()` (on the channel's loop), so a TLS client can connect now and
/// send its ClientHello later.
private final class HoldWrites: ChannelOutboundHandler, @unchecked Sendable {
    // Loop-confined: `write`, `flush` and `release` all run on the channel's event loop (release via submit).
    typealias OutboundIn = ByteBuffer
    private var held: [(NIOAny, EventLoopPromise<Void>?)] = []
    private var released = false
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if released { context.write(data, promise: promise) } else { held.append((data, promise)) }
    }

    func flush(context: ChannelHandlerContext) {
        if released { context.flush() }
    }

    func release() {
        released = true
        guard let context else { return }
        for (data, promise) in held { context.write(data, promise: promise) }
        held = []
        context.flush()
    }
}

/// Collects what a client channel reads.
private final class Collector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let bytes = Mutex<[UInt8]>([])
    var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        bytes.withLock { $0.append(contentsOf: buffer.readableBytesView) }
    }
}
