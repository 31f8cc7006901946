@testable import GatewayServer
import GatewayIntegrations
import NIOCore
import NIOHTTP1
import Testing

@Suite struct ResponseHeadWriterTests {
    func proxiedHead(_ upstream: String, close: Bool = false) throws -> String {
        let head = try UpstreamResponseHeadParser.parse(ByteBuffer(string: upstream), requestMethodIsHead: false)
        let buffer = ResponseHeadWriter.proxiedHead(ByteBufferAllocator(), upstream: head, version: .http1_1,
                                                    requestId: "rid-1", chunkedPassthrough: false, close: close,
                                                    keepAlive10: false)
        return String(buffer: buffer)
    }

    @Test func copiesKeptLinesByteForByteAndDropsHopByHopOnes() throws {
        let written = try proxiedHead("HTTP/1.1 201 Made It\r\nContent-Type:  text/plain \r\nKEEP-ALIVE: timeout=5\r\n"
            + "Connection: keep-alive, X-Secret\r\nx-secret: 1\r\nX-Request-Id: upstream\r\nTrailer: x\r\nUpgrade: h2c\r\n"
            + "Proxy-Connection: a\r\nTE: b\r\nX-Trail: kept\r\nContent-Length: 3\r\n\r\n")
        #expect(written == "HTTP/1.1 201 Made It\r\nContent-Type:  text/plain \r\nX-Trail: kept\r\nContent-Length: 3\r\n"
            + "x-request-id: rid-1\r\n\r\n")
    }

    @Test func saysCloseWhenAsked() throws {
        let written = try proxiedHead("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", close: true)
        #expect(written == "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nx-request-id: rid-1\r\nconnection: close\r\n\r\n")
    }

    @Test func keptFieldsAreTrimmedNameValuePairs() throws {
        let head = try UpstreamResponseHeadParser.parse(
            ByteBuffer(string: "HTTP/1.1 200 OK\r\nA:\t b \t\r\nConnection: x-b\r\nX-B: gone\r\nC:\r\n\r\n"), requestMethodIsHead: false)
        var fields: [String] = []
        ResponseHeadWriter.forEachKeptField(of: head) { fields.append("\($0)=\($1)") }
        #expect(fields == ["A=b", "C="])
    }

    @Test func http2HeadsHaveLowercaseNamesAndTheGatewaysRequestId() throws {
        let head = try UpstreamResponseHeadParser.parse(
            ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Request-Id: up\r\nKeep-Alive: 5\r\n\r\n"),
            requestMethodIsHead: false)
        let headers = ResponseHeadWriter.proxiedHeaders(upstream: head, requestId: "rid-2")
        #expect(headers.map { "\($0.name)=\($0.value)" } == ["content-type=text/plain", "x-request-id=rid-2"])
    }
}
