/// A `format` the validator asserts; unknown formats are not asserted (they compile to no keyword).
struct FormatChecker: Sendable {
    let name: String
    private let kind: Kind

    private enum Kind: Sendable {
        case dateTime, date, time, email, hostname, ipv4, ipv6, uri, uuid, regex, jsonPointer, relativeJSONPointer
    }

    init?(name: String) {
        let kinds: [String: Kind] = [
            "date-time": .dateTime, "date": .date, "time": .time, "email": .email, "hostname": .hostname,
            "ipv4": .ipv4, "ipv6": .ipv6, "uri": .uri, "uuid": .uuid,
            "regex": .regex, "json-pointer": .jsonPointer, "relative-json-pointer": .relativeJSONPointer,
        ]
        guard let kind = kinds[name] else { return nil }
        self.name = name
        self.kind = kind
    }

    func isValid(_ string: String) -> Bool {
        switch kind {
        case .dateTime: DateTimeFormats.isDateTime(string)
        case .date: DateTimeFormats.isDate(string)
        case .time: DateTimeFormats.isTime(string)
        case .email: NetworkFormats.isEmail(string)
        case .hostname: NetworkFormats.isHostname(string)
        case .ipv4: NetworkFormats.isIPv4(string)
        case .ipv6: NetworkFormats.isIPv6(string)
        case .uri: URIFormat.isURI(string)
        case .uuid: URIFormat.isUUID(string)
        case .regex: ECMARegex.isValidSyntax(string)
        case .jsonPointer: PointerFormats.isJSONPointer(Substring(string))
        case .relativeJSONPointer: PointerFormats.isRelativeJSONPointer(string)
        }
    }
}
