/// A client connection the runtime can drain on shutdown: an HTTP/1.1 connection, or an HTTP/2 connection
/// as a whole (its streams are not tracked one by one).
protocol DrainableConnection: AnyObject {
    /// Stop taking new requests; close once the in-flight ones are answered.
    func drain()
    /// The drain deadline passed: close now.
    func forceClose()
}
