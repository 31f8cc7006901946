import GatewayCore

/// `throttle` objects (gateway, API, route, plan, plan route): `{"rate": requests per second, "burst": N}`.
enum ThrottleDecoder {
    static func decode(_ node: Node) -> Throttle? {
        guard let reader = node.object() else { return nil }
        defer { reader.finish() }
        let rate = reader.required("rate").flatMap(decodeRate)
        let burst = reader.required("burst")?.int(in: 1...Int(Throttle.maxBurst))
        guard let rate, let burst else { return nil }
        return Throttle(rateMilli: rate, burst: Int64(burst))
    }

    /// Requests per second above 0 with at most three decimals, as thousandths: the bucket's arithmetic is exact.
    static func decodeRate(_ node: Node) -> Int64? {
        guard case .number(let number) = node.value else {
            node.typeError("a number of requests per second")
            return nil
        }
        let milli = (number.double * 1000).rounded()
        guard number.double > 0, number.double <= Double(Throttle.maxRate) else {
            node.context.error(node.pointer, "must be greater than 0 and at most \(Throttle.maxRate) requests per second (got \(number.text))")
            return nil
        }
        guard milli >= 1, abs(milli - number.double * 1000) < 1e-6 else {
            node.context.error(node.pointer, "must have at most three decimals (got \(number.text))")
            return nil
        }
        return Int64(milli)
    }
}
