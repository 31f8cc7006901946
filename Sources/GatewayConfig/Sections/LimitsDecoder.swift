import GatewayCore

/// `usagePlans` and `apiKeys`, compiled with the gateway's `throttle` and the APIs' into a `LimitPolicy` whose
/// counters come from the state's limit store.
enum LimitsDecoder {
    /// AWS API Gateway's minimum: shorter values are guessable.
    static let minKeyLength = 20

    /// Reads the top-level `throttle`, `usagePlans` and `apiKeys`; nil when any has an error or `apis` had one.
    static func decode(_ root: ObjectReader, apis: [CompiledAPI]?, apiNames: [String?],
                       store: any LimitStore) -> LimitPolicy? {
        let before = root.context.errorCount
        let gatewayThrottle = root.optional("throttle").flatMap(ThrottleDecoder.decode)
        let decodedPlans = root.optional("usagePlans").map { decodePlans($0, apis: apis, apiNames: apiNames) }
            ?? (plans: [], names: [:])
        let decodedKeys = root.optional("apiKeys").map { decodeKeys($0, planNames: decodedPlans.names) } ?? []
        guard let apis, root.context.errorCount == before, let compiledPlans = decodedPlans.plans else { return nil }
        if gatewayThrottle == nil, compiledPlans.isEmpty, decodedKeys.isEmpty,
           !apis.contains(where: { $0.throttle != nil || $0.routes.contains { $0.throttle != nil } }) {
            return LimitPolicy.none
        }
        return LimitPolicy(gatewayThrottle: gatewayThrottle, apis: apis, plans: compiledPlans, keys: decodedKeys,
                           store: store)
    }

    // MARK: usagePlans

    /// Plans in order (nil when any had an error) and each valid name's index, for keys to refer to.
    static func decodePlans(_ node: Node, apis: [CompiledAPI]?, apiNames: [String?])
        -> (plans: [UsagePlan]?, names: [String: Int]) {
        guard let items = node.array() else { return (nil, [:]) }
        var plans: [UsagePlan] = []
        var names: [String: Int] = [:]
        var ok = true
        for (index, item) in items.enumerated() {
            let (name, plan) = decodePlan(item, apis: apis, apiNames: apiNames)
            if let name {
                if names[name] != nil {
                    item.context.error(JSONPointer.appending(item.pointer, "name"), "duplicate usage plan name \"\(name)\"")
                    ok = false
                } else {
                    names[name] = index
                }
            }
            if let plan { plans.append(plan) } else { ok = false }
        }
        return (ok ? plans : nil, names)
    }

    static func decodePlan(_ node: Node, apis: [CompiledAPI]?, apiNames: [String?]) -> (String?, UsagePlan?) {
        guard let reader = node.object() else { return (nil, nil) }
        defer { reader.finish() }
        let context = node.context
        let before = context.errorCount
        let name = reader.required("name")?.nonEmptyString()
        var covered: [String: Int] = [:]
        if let apisNode = reader.required("apis"), let items = apisNode.array() {
            if items.isEmpty { context.error(apisNode.pointer, "must name at least one API") }
            for item in items {
                guard let apiName = item.string() else { continue }
                guard let index = apiNames.firstIndex(of: apiName) else {
                    context.error(item.pointer, "unknown API \"\(apiName)\"")
                    continue
                }
                covered[apiName] = index
            }
        }
        let throttle = reader.optional("throttle").flatMap(ThrottleDecoder.decode)
        let quota = reader.optional("quota").flatMap(decodeQuota)
        var routeThrottles: [RouteRef: Throttle] = [:]
        if let routesNode = reader.optional("routeThrottles"), let routes = routesNode.object() {
            for member in routes.object.members {
                let pointer = routes.pointer(of: member.key)
                let value = Node(value: member.value, pointer: pointer, context: context)
                let throttle = ThrottleDecoder.decode(value)
                guard let ref = routeRef(member.key, pointer: pointer, covered: covered, apis: apis, context: context),
                      let throttle else { continue }
                routeThrottles[ref] = throttle
            }
        }
        guard context.errorCount == before, let name else { return (name, nil) }
        return (name, UsagePlan(name: name, apis: Set(covered.values), throttle: throttle, quota: quota,
                                routeThrottles: routeThrottles))
    }

    /// "API METHOD /path": an API the plan covers and one of its routes, written as in its `route`.
    static func routeRef(_ text: String, pointer: String, covered: [String: Int], apis: [CompiledAPI]?,
                         context: DecodeContext) -> RouteRef? {
        guard let space = text.firstIndex(of: " ") else {
            context.error(pointer, "must be \"API ROUTE\", e.g. \"orders GET /orders/{id}\" (got \"\(text)\")")
            return nil
        }
        let apiName = String(text[..<space])
        let routeText = String(text[text.index(after: space)...])
        guard let apiIndex = covered[apiName] else {
            context.error(pointer, "API \"\(apiName)\" is not one of this plan's \"apis\"")
            return nil
        }
        guard let apis else { return nil }  // the API itself had errors, already reported
        let key: RouteKey
        switch RouteKey.parse(routeText) {
        case .success(let parsed): key = parsed
        case .failure(let error):
            context.error(pointer, error.message)
            return nil
        }
        guard let routeIndex = apis[apiIndex].routes.firstIndex(where: { $0.key == key }) else {
            context.error(pointer, "API \"\(apiName)\" has no route \"\(key)\"")
            return nil
        }
        return RouteRef(api: apiIndex, route: routeIndex)
    }

    static func decodeQuota(_ node: Node) -> Quota? {
        guard let reader = node.object() else { return nil }
        defer { reader.finish() }
        let limit = reader.required("limit")?.int(in: 0...1_000_000_000_000)
        var period: Quota.Period?
        if let periodNode = reader.required("period"), let text = periodNode.string() {
            period = Quota.Period(rawValue: text)
            if period == nil {
                periodNode.context.error(periodNode.pointer, "must be \"DAY\", \"WEEK\" or \"MONTH\" (got \"\(text)\")")
            }
        }
        var offset = 0
        // Hours for DAY, days for WEEK and MONTH.
        if let offsetNode = reader.optional("offset"), let period {
            guard let value = offsetNode.int(in: 0...period.maxOffset) else { return nil }
            offset = value
        }
        guard let limit, let period else { return nil }
        return Quota(limit: Int64(limit), period: period, offset: offset)
    }

    // MARK: apiKeys

    static func decodeKeys(_ node: Node, planNames: [String: Int]) -> [LimitPolicy.KeySpec] {
        guard let items = node.array() else { return [] }
        var keys: [LimitPolicy.KeySpec] = []
        var names: [String: String] = [:]
        var digests: [KeyDigest: String] = [:]
        for item in items {
            guard let reader = item.object() else { continue }
            defer { reader.finish() }
            let context = item.context
            let before = context.errorCount
            let name = reader.required("name")?.nonEmptyString()
            if let name {
                if let earlier = names[name] {
                    context.error(reader.pointer(of: "name"), "duplicate API key name \"\(name)\" (also at \(earlier))")
                } else {
                    names[name] = item.pointer
                }
            }
            let digestNode = reader.optional("sha256")
            let valueNode = reader.optional("value")
            var digest: KeyDigest?
            switch (digestNode, valueNode) {
            case (let digestNode?, nil):
                if let hex = digestNode.string() {
                    digest = KeyDigest(hex: hex)
                    if digest == nil { context.error(digestNode.pointer, "must be 64 hexadecimal digits (a SHA-256 digest)") }
                }
            case (nil, let valueNode?):
                if let value = valueNode.string() {
                    if value.utf8.count < minKeyLength {
                        context.error(valueNode.pointer, "an API key must be at least \(minKeyLength) characters; make one with `portcullis keys new`")
                    } else {
                        digest = KeyDigest(of: value.utf8)
                    }
                }
            case (.some, .some):
                context.error(item.pointer, "give either \"sha256\" or \"value\", not both")
            case (nil, nil):
                context.error(item.pointer, "missing \"sha256\" (the key's SHA-256 in hex) or \"value\"")
            }
            if let digest {
                if let earlier = digests[digest] {
                    context.error(item.pointer, "the same key as \(earlier): keys must be unique")
                } else {
                    digests[digest] = item.pointer
                }
            }
            var plan: Int?
            if let planNode = reader.required("plan"), let planName = planNode.string() {
                plan = planNames[planName]
                if plan == nil { context.error(planNode.pointer, "unknown usage plan \"\(planName)\"") }
            }
            let enabled = reader.optional("enabled").map { $0.bool() ?? true } ?? true
            guard context.errorCount == before, let name, let digest, let plan else { continue }
            keys.append(LimitPolicy.KeySpec(name: name, digest: digest, plan: plan, enabled: enabled))
        }
        return keys
    }
}
