import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// An in-test server for the Lambda Invoke API (`POST /2015-03-31/functions/NAME/invocations`), answering as AWS,
/// the runtime interface emulator or `sam local` would, chosen by the API Gateway event's `rawPath`:
///
/// - `/ok`: a proxy response whose body is the received event
/// - `/error`: a function error flagged by `X-Amz-Function-Error` (AWS)
/// - `/rie-error`, `/rie-timeout`: the emulator's header-less error object and its timeout text
/// - `/throttle`: 429 `TooManyRequestsException`; `/missing`: 404 `ResourceNotFoundException`
/// - `/slow`: answers after 3 s; `/big`: a 7 MB result; `/chunked`: a proxy response sent chunked
final class InvokeAPIServer: Sendable {
    struct Received: Sendable {
        let uri: String
        let headers: [(String, String)]
        let body: [UInt8]

        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    private let log: LogBox

    var received: [Received] { log.log.withLock { $0 } }

    private init(port: Int, group: MultiThreadedEventLoopGroup, channel: Channel, log: LogBox) {
        self.port = port
        self.group = group
        self.channel = channel
        self.log = log
    }

    /// `tls`: serve HTTPS with this certificate and key (PEM files), as AWS's endpoint does.
    static func start(tls: (cert: String, key: String)? = nil) async throws -> InvokeAPIServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let box = LogBox()
        let context = try tls.map(ExternalTool.serverContext)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(log: box))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return InvokeAPIServer(port: channel.localAddress!.port!, group: group, channel: channel, log: box)
    }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    final class LogBox: Sendable {
        let log = Mutex<[Received]>([])
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let log: LogBox
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(log: LogBox) { self.log = log }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = []
            case .body(let buffer):
                body += buffer.readableBytesView
            case .end:
                guard let head else { return }
                let received = Received(uri: head.uri, headers: head.headers.map { ($0.name, $0.value) }, body: body)
                log.log.withLock { $0.append(received) }
                let event = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
                let path = event?["rawPath"] as? String ?? ""
                respond(context, path: path, event: body)
            }
        }

        private func respond(_ context: ChannelHandlerContext, path: String, event: [UInt8]) {
            func send(_ status: Int, _ headers: [(String, String)], _ body: [UInt8]) {
                var fields = HTTPHeaders(headers)
                fields.add(name: "content-length", value: String(body.count))
                fields.add(name: "x-amzn-requestid", value: UUID().uuidString)
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status),
                                                                     headers: fields))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
            let json = [("content-type", "application/json")]
            switch path {
            case let p where p.hasSuffix("/ok"):
                let escaped = String(decoding: event, as: UTF8.self).replacingOccurrences(of: "\\", with: "\\\\")
                    .replacingOccurrences(of: "\"", with: "\\\"")
                send(200, json + [("x-amz-executed-version", "$LATEST")],
                     Array(#"{"statusCode": 200, "headers": {"content-type": "application/json"}, "body": "\#(escaped)"}"#.utf8))
            case let p where p.hasSuffix("/error"):
                send(200, json + [("x-amz-function-error", "Unhandled")],
                     Array(#"{"errorMessage": "boom from handler", "errorType": "ValueError", "requestId": "r", "stackTrace": []}"#.utf8))
            case let p where p.hasSuffix("/rie-error"):
                send(200, [], Array(#"{"errorMessage": "secret", "errorType": "KeyError", "requestId": "", "stackTrace": []}"#.utf8))
            case let p where p.hasSuffix("/rie-timeout"):
                send(200, [("content-type", "text/plain; charset=utf-8")], Array("Task timed out after 3.00 seconds".utf8))
            case let p where p.hasSuffix("/throttle"):
                send(429, json + [("x-amzn-errortype", "TooManyRequestsException"), ("retry-after", "2")],
                     Array(#"{"Type": "User", "message": "Rate exceeded", "Reason": "ConcurrentInvocationLimitExceeded"}"#.utf8))
            case let p where p.hasSuffix("/missing"):
                send(404, json + [("x-amzn-errortype", "ResourceNotFoundException")],
                     Array(#"{"Type": "User", "Message": "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope"}"#.utf8))
            case let p where p.hasSuffix("/slow"):
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .seconds(3)) {
                    let context = bound.value
                    guard context.channel.isActive else { return }
                    var fields = HTTPHeaders([("content-length", "2")])
                    fields.add(name: "content-type", value: "application/json")
                    context.write(NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: fields))), promise: nil)
                    context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: "{}")))), promise: nil)
                    context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
                }
            case let p where p.hasSuffix("/big"):
                send(200, json, Array(#"{"statusCode": 200, "body": ""#.utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 7 << 20)
                     + Array(#""}"#.utf8))
            case let p where p.hasSuffix("/chunked"):
                let fields = HTTPHeaders([("content-type", "application/json"), ("transfer-encoding", "chunked")])
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: fields))), promise: nil)
                for piece in [#"{"statusCode": 201, "#, #""body": "chunked"}"#] {
                    context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: piece)))), promise: nil)
                }
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            default:
                send(404, json, Array(#"{"Type": "User", "Message": "no such test path"}"#.utf8))
            }
        }
    }
}
