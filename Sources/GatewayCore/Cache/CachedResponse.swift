import NIOCore

/// A stored response, kept as a hit sends it: status, header fields and the body's bytes (served as they are, never
/// copied per request), with when it was stored and when it stops being fresh.
public final class CachedResponse: Sendable {
    public let status: Int
    /// The upstream's fields, minus those a hit must not repeat (hop-by-hop, `Age`, `Set-Cookie` never arrives).
    public let headers: [(name: String, value: String)]
    public let body: ByteBuffer
    /// The same fields as HTTP/1.1 header lines, `content-length` last, serialised once at store time: a hit's head
    /// copies them in one piece instead of writing every name and value again.
    public let fieldLines: ByteBuffer
    public let storedAt: EpochNanoseconds
    public let expiresAt: EpochNanoseconds
    /// For conditional requests: the validators the response carried.
    public let etag: String?
    public let lastModified: String?
    /// What the entry costs the store: header and body bytes plus a fixed overhead for its bookkeeping.
    public let size: Int

    /// The memory an entry takes besides its header and body bytes, measured (`Benchmarks/cache/memory.sh`: about
    /// 560 bytes per entry for this object, the body's buffer, its slot, its key and two dictionary buckets), so
    /// `capacity` bounds what the process really holds.
    public static let overhead = 512

    public init(status: Int, headers: [(name: String, value: String)], body: ByteBuffer, storedAt: EpochNanoseconds,
                ttlSeconds: Int) {
        self.status = status
        self.headers = headers
        self.body = body
        self.storedAt = storedAt
        self.expiresAt = storedAt + Int64(ttlSeconds) * 1_000_000_000
        etag = headers.first { ASCIIBytes.equalIgnoringCase($0.name.utf8, "etag".utf8) }?.value
        lastModified = headers.first { ASCIIBytes.equalIgnoringCase($0.name.utf8, "last-modified".utf8) }?.value
        var lines = ByteBuffer()
        lines.reserveCapacity(headers.reduce(24) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 })
        for (name, value) in headers {
            lines.writeString(name)
            lines.writeStaticString(": ")
            lines.writeString(value)
            lines.writeStaticString("\r\n")
        }
        lines.writeStaticString("content-length: ")
        lines.writeDecimal(body.readableBytes)
        lines.writeStaticString("\r\n")
        fieldLines = lines
        // Fields are held twice (as strings for HTTP/2 and 304s, as lines for HTTP/1.1 hits): both are counted.
        size = body.readableBytes + headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
            + lines.readableBytes + Self.overhead
    }

    public func isFresh(at now: EpochNanoseconds) -> Bool { now < expiresAt }

    /// Whole seconds since it was stored (the `Age` header).
    public func age(at now: EpochNanoseconds) -> Int64 { max(0, now - storedAt) / 1_000_000_000 }

    /// Whole seconds it stays fresh (`Cache-Status`'s `ttl`).
    public func remainingTTL(at now: EpochNanoseconds) -> Int64 { max(0, expiresAt - now) / 1_000_000_000 }
}
